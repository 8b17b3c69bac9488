"""Every page of the demo, as each role, at 1280 x 900: nothing wider than its container outside a scroll container,
unique column headers in every table, no "0 of 0", no console errors (tests/browser/walk.py says how)."""

import re

import pytest
from django.urls import reverse

from reviews.demo import DEMO_PASSWORD, seed_demo
from reviews.models import Audit, Disagreement
from tests.browser.walk import walk

pytestmark = pytest.mark.django_db(transaction=True)

# Each demo person, and where their walk starts beyond the home page.
ROLES = {
    "auditor": (),
    "supervisor": ("audits", "disagreements"),
    "steward": ("/admin/",),
    "contact": (),
}


def starts(role: str) -> tuple[str, ...]:
    """The home page, and for a supervisor every audit and disagreement, so that pages which differ only in their
    data (a signed-off audit, the audit in progress, a settled disagreement) are all seen."""
    paths = ["/"]
    for start in ROLES[role]:
        if start == "audits":
            paths += [reverse("audit_detail", args=[pk]) for pk in Audit.objects.values_list("pk", flat=True)]
        elif start == "disagreements":
            paths += [f"/disagreements/{pk}/" for pk in Disagreement.objects.values_list("pk", flat=True)]
        else:
            paths.append(start)
    return tuple(paths)


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_every_page_of_the_demo_fits_at_1280_px_as_each_role(live_server, browser):
    seed_demo()
    problems, pages, visited = [], {}, {}
    for role in ROLES:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message, errors=errors: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        sign_in(page, live_server.url, role)

        walked = walk(page, live_server.url, start=starts(role), limit=200)

        pages[role] = len(walked.visited)
        visited[role] = [url.removeprefix(live_server.url) for url in walked.visited]
        problems += [f"{role}: {problem}" for problem in walked.problems]
        problems += [f"{role}: console error {error}" for error in errors]
        context.close()

    assert not problems, "\n".join(problems)
    # The walk saw the service, not just a sign-in page.
    assert pages["auditor"] >= 10
    assert pages["supervisor"] >= 30
    assert pages["steward"] >= 30
    assert pages["contact"] >= 5
    # The data steward's walk reaches the Imports page and the demo's import jobs.
    assert "/imports/" in visited["steward"]
    assert any(re.fullmatch(r"/imports/\d+/", path) for path in visited["steward"])
