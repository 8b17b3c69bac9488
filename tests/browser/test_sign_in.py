import pytest

from accounts.roles import Role
from reviews.models import AuditStatus
from tests.factories import AuditFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_page_is_styled_by_gov_uk_frontend_and_works_from_the_keyboard(live_server, page, screenshot):
    UserFactory(username="auditor", first_name="Alex", role=Role.AUDITOR)
    ReviewFactory.create_batch(2, audit=AuditFactory(name="Cancellations 2025-26", status=AuditStatus.IN_PROGRESS))

    page.goto(f"{live_server.url}/")

    assert page.url.startswith(f"{live_server.url}/sign-in/")
    assert page.title() == "Sign in - Cancellation Review"
    heading = page.locator("h1")
    assert heading.inner_text() == "Sign in to Cancellation Review"
    # GOV.UK Frontend's compiled styles, with the system font stack rather than GDS Transport.
    assert "system-ui" in heading.evaluate("element => getComputedStyle(element).fontFamily")
    assert heading.evaluate("element => getComputedStyle(element).fontWeight") == "700"
    assert page.locator("header").evaluate("element => getComputedStyle(element).backgroundColor") != (
        "rgba(0, 0, 0, 0)"
    )
    # GOV.UK Frontend's JavaScript ran (it marks the body when the browser supports it).
    assert "govuk-frontend-supported" in page.locator("body").get_attribute("class")
    screenshot("1-sign-in")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"

    page.get_by_label("Username").fill("auditor")
    page.get_by_label("Password").fill("wrong password")
    page.keyboard.press("Enter")
    page.wait_for_selector(".govuk-error-summary")
    assert page.locator(".govuk-error-summary").is_visible()
    # The error summary takes focus so that screen reader users hear it first.
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    screenshot("2-sign-in-error")

    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Audits"
    assert page.get_by_role("cell", name="Cancellations 2025-26").is_visible()
    assert page.get_by_role("cell", name="0 of 2 done").is_visible()
    screenshot("3-audits")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/sign-in/")

    assert page.problems == []
