"""Issue 16, acceptance 3: a force contact records "victim told", a supervisor accepts it, and the force page's
counts change."""

import pytest

from accounts.roles import Role
from reviews.results.publishing import audit_publish
from tests.factories import UserFactory, force
from tests.reviews.remedies.helpers import signed_off_audit

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"


def _sign_in(page, base: str, username: str, next_path: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/sign-in/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{next_path}")


def _tell_victim_counts(page) -> str:
    return page.locator(".app-action-summary li", has_text="Tell the victim").inner_text()


def _contact_records_victim_told(page, base: str, screenshot) -> str:
    _sign_in(page, base, "contact", "/forces/northamptonshire/")
    assert _tell_victim_counts(page) == "Tell the victim: 2 actions: 0 put right, 0 overdue, 2 open"
    page.get_by_role("link", name="Actions").first.click()
    page.wait_for_url(f"{base}/actions/")
    page.get_by_label("Action").select_option("tell_victim")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/actions/?*kind=tell_victim*")
    screenshot("1-contact-actions")
    page.locator("table tbody tr td a").first.click()
    page.get_by_role("link", name="Record what was done").click()
    page.get_by_label("Victim told").check()
    page.get_by_label("Date the victim was told").fill("01/05/2026")
    screenshot("2-recording-victim-told")
    page.get_by_role("button", name="Record the outcome").click()
    assert page.locator("#action-status").inner_text() == "Outcome waiting for acceptance"
    assert page.get_by_role("button", name="Accept the outcome").count() == 0
    screenshot("3-outcome-recorded")
    return page.url


def _supervisor_accepts(page, base: str, action_url: str, screenshot) -> None:
    path = action_url.removeprefix(base)
    _sign_in(page, base, "lead", path)
    page.get_by_role("button", name="Accept the outcome").click()
    assert page.locator("#action-status").inner_text() == "Put right"
    screenshot("4-accepted")


def test_a_force_contact_records_victim_told_and_a_supervisor_accepts_it(live_server, page, screenshot):
    base = live_server.url
    supervisor = UserFactory(username="lead", role=Role.SUPERVISOR)
    auditor = UserFactory(username="reviewer", role=Role.AUDITOR)
    contact = UserFactory(username="contact", role=Role.FORCE_CONTACT)
    contact.force = force("northamptonshire")
    contact.save()
    # Published, so the force contact reads its results; the actions' counts beside them are live.
    audit_publish(audit=signed_off_audit(supervisor=supervisor, auditor=auditor), by=supervisor)

    action_url = _contact_records_victim_told(page, base, screenshot)
    _supervisor_accepts(page, base, action_url, screenshot)

    _sign_in(page, base, "contact", "/forces/northamptonshire/")
    assert _tell_victim_counts(page) == "Tell the victim: 2 actions: 1 put right, 0 overdue, 1 open"
    screenshot("5-force-page-counts")
    assert page.problems == []
