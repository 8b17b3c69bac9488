"""Pages work in a real browser under the Content Security Policy, and the policy really blocks inline code."""

import pytest

from accounts.models import AccessAction
from accounts.roles import Role
from accounts.services import access_record
from reviews.models import AuditStatus
from tests.factories import AuditFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Scripts added this way run before the page's own and are not subject to its policy.
WATCH_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI || "inline"} ${where}`);
});
"""


@pytest.fixture
def watched(page):
    page.add_init_script(WATCH_VIOLATIONS)
    return page


def violations(page) -> list[str]:
    return page.evaluate("window.cspViolations")


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def test_sign_in_and_home_pages_report_no_policy_violation(live_server, watched, screenshot):
    page = watched
    UserFactory(username="supervisor", role=Role.SUPERVISOR)
    ReviewFactory.create_batch(2, audit=AuditFactory(name="Cancellations 2025-26", status=AuditStatus.IN_PROGRESS))

    response = page.goto(f"{live_server.url}/sign-in/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    # GOV.UK Frontend's scripts and styles still load and run.
    assert "govuk-frontend-supported" in page.locator("body").get_attribute("class")
    assert violations(page) == []

    sign_in(page, live_server, "supervisor")
    assert page.get_by_role("cell", name="Cancellations 2025-26").is_visible()
    assert violations(page) == []
    page.get_by_role("link", name="Access records").click()
    page.wait_for_url(f"{live_server.url}/access-records/")
    assert page.get_by_role("cell", name="Signed in").first.is_visible()
    assert violations(page) == []
    screenshot("access-records")

    assert page.problems == []


def test_the_policy_blocks_an_inline_script_in_the_browser(live_server, watched):
    page = watched
    page.goto(f"{live_server.url}/sign-in/")

    # As if markup had slipped past escaping: an inline script added to the page.
    page.evaluate(
        """() => {
        const script = document.createElement("script");
        script.textContent = "window.inlineScriptRan = true;";
        document.body.append(script);
    }"""
    )
    page.wait_for_function("window.cspViolations.length > 0")

    assert page.evaluate("window.inlineScriptRan === undefined")
    assert any(violation.startswith("script-src") for violation in violations(page))
    assert any("Content Security Policy" in problem for problem in page.problems)


def test_the_data_administration_pages_work_under_the_policy(live_server, watched, screenshot):
    page = watched
    steward = UserFactory(username="steward", role=Role.DATA_STEWARD, is_staff=True)
    ReviewFactory(audit=AuditFactory(name="Cancellations 2025-26", status=AuditStatus.IN_PROGRESS))
    access_record(user=steward, action=AccessAction.EXPORTED, object_label="Decisions")
    sign_in(page, live_server, "steward")

    for path in [
        "/admin/",
        "/admin/reviews/review/",
        "/admin/reviews/crimerecord/?offence_category=rape",
        "/admin/accounts/accessrecord/",
        "/admin/axes/accessattempt/",
        f"/admin/accounts/user/{steward.pk}/change/",
        "/admin/reviews/crimerecord/add/",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert violations(page) == [], path
    # The admin's own scripts run: the autocomplete widget for a force is built by select2.
    assert page.locator(".select2-container").first.is_visible()
    screenshot("admin-crime-record-add")

    assert page.problems == []


def test_the_lockout_message_is_the_sign_in_page_in_the_services_own_style(live_server, watched, settings, screenshot):
    page = watched
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="auditor", role=Role.AUDITOR)
    page.goto(f"{live_server.url}/sign-in/")

    for _ in range(2):
        page.get_by_label("Username").fill("auditor")
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector(".govuk-error-summary")

    summary = page.locator(".govuk-error-summary")
    assert "too many failed attempts to sign in" in summary.inner_text()
    assert "ask a data steward to unlock your account" in summary.inner_text()
    assert page.get_by_label("Username").input_value() == "auditor"
    assert violations(page) == []
    screenshot("locked-out")
    # The lockout is answered with 429 Too Many Requests, which the browser reports; nothing else went wrong.
    assert [problem for problem in page.problems if "429" not in problem] == []
