"""Issue 7, acceptance 5: two auditors review the same decision blind and disagree; the supervisor sees sign-off
refused with a link to the disagreement, compares both reviews side by side, records the final verdict and signs
the audit off. A screenshot of each page is saved in test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from reviews.models import AuditStatus, Disagreement, OffenceCategory, ReviewKind
from tests.browser.test_audit_workflow import choose, sign_in, sign_out
from tests.factories import DecisionFactory, UserFactory, sampled_audit

pytestmark = pytest.mark.django_db(transaction=True)

FIRST_NOTES = "First auditor: the rationale shows verified information from the hospital."
SECOND_NOTES = "Second auditor: the further information came from the suspect alone and was not checked."


def submit_review(page, base: str, *, correct: str, notes: str) -> None:
    page.get_by_role("link", name="My reviews").click()
    page.get_by_role("link", name="NH/26/000001").click()
    choose(page, "decision_correct", correct)
    if correct == "no":
        choose(page, "incorrect_reason", "avi_not_verifiable")
    choose(page, "victim_should_be_informed", "yes")
    choose(page, "victim_informed", "yes")
    page.get_by_role("textbox", name="Notes").fill(notes)


def _ask_for_second_reviews_and_share_them(page, base: str, screenshot, audit) -> None:
    page.goto(f"{base}{audit.get_absolute_url()}")
    page.get_by_role("link", name="Change second review share").click()
    page.get_by_label("Second review share (per cent)").fill("100")
    screenshot("01-second-review-share")
    page.get_by_role("button", name="Save share").click()
    expect(page.get_by_text("The second review share is 100%. 1 second review added.")).to_be_visible()
    page.get_by_role("link", name="Assign reviews").click()
    page.get_by_label("Alex Morgan").check()
    page.get_by_label("Sam Patel").check()
    page.get_by_role("button", name="Share evenly").click()
    expect(page.get_by_text("2 reviews assigned.")).to_be_visible()


def _review_first(page, base: str, screenshot) -> None:
    submit_review(page, base, correct="yes", notes=FIRST_NOTES)
    screenshot("02-first-review")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Review of NH/26/000001 submitted.")).to_be_visible()


def _review_second_without_seeing_the_first(page, base: str, screenshot) -> None:
    submit_review(page, base, correct="no", notes=SECOND_NOTES)
    expect(page.get_by_text(FIRST_NOTES)).to_have_count(0)
    screenshot("03-second-review-blind")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Review of NH/26/000001 submitted.")).to_be_visible()
    page.get_by_role("link", name="NH/26/000001").click()
    expect(page.get_by_text(FIRST_NOTES)).to_have_count(0)


def _approve_both_and_find_sign_off_refused(page, base: str, screenshot, audit) -> None:
    page.goto(f"{base}{audit.get_absolute_url()}")
    expect(page.get_by_text("1 waiting for a final verdict, 1 in all")).to_be_visible()
    page.get_by_role("link", name="Approve submitted reviews").click()
    page.get_by_role("button", name="Approve submitted reviews").click()
    expect(page.get_by_text("2 reviews approved.")).to_be_visible()
    page.get_by_role("link", name="Sign off").click()
    page.get_by_role("button", name="Sign off").click()
    expect(page.get_by_text("1 disagreement between first and second reviews is not resolved").first).to_be_visible()
    screenshot("04-sign-off-refused")
    page.get_by_role("link", name="Resolve the disagreement on NH/26/000001").click()
    page.wait_for_url(re.compile(r"/disagreements/\d+/$"))


def _record_the_final_verdict(page, screenshot) -> None:
    expect(page.locator("[data-first-review]")).to_contain_text(FIRST_NOTES)
    expect(page.locator("[data-second-review]")).to_contain_text(SECOND_NOTES)
    screenshot("05-disagreement-side-by-side")
    choose(page, "decision_correct", "no")
    choose(page, "incorrect_reason", "avi_not_verifiable")
    choose(page, "victim_should_be_informed", "yes")
    choose(page, "victim_informed", "yes")
    page.get_by_role("textbox", name="Notes").fill("Nothing in the file verifies the suspect's account.")
    page.get_by_role("button", name="Record final verdict").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Explain why this is the final verdict.")
    screenshot("06-reason-required")
    page.get_by_role("textbox", name="Why is this the final verdict?").fill(
        "The second auditor is right: C2 needs verification."
    )
    page.get_by_role("button", name="Record final verdict").click()
    expect(page.get_by_text("Final verdict on NH/26/000001 recorded.")).to_be_visible()
    expect(page.get_by_text("0 waiting for a final verdict, 1 in all")).to_be_visible()
    screenshot("07-resolved")


def _see_it_resolved_and_sign_off(page, base: str, screenshot, audit) -> None:
    page.get_by_role("link", name="Disagreements").first.click()
    expect(page.get_by_role("cell", name="Resolved")).to_be_visible()
    screenshot("08-disagreements-list")
    page.goto(f"{base}{audit.get_absolute_url()}")
    page.get_by_role("link", name="Sign off").click()
    page.get_by_role("button", name="Sign off").click()
    expect(page.get_by_text("The audit is signed off.")).to_be_visible()
    screenshot("09-signed-off")


def test_two_auditors_disagree_and_the_supervisor_resolves_it(live_server, page, screenshot):
    base = live_server.url
    supervisor = UserFactory(username="supervisor", first_name="Priya", last_name="Shah", role=Role.SUPERVISOR)
    UserFactory(username="auditor", first_name="Alex", last_name="Morgan", role=Role.AUDITOR)
    UserFactory(username="auditor2", first_name="Sam", last_name="Patel", role=Role.AUDITOR)
    DecisionFactory(crime_record__reference="NH/26/000001")
    audit = sampled_audit(name="QA Q1 2026", sizes={OffenceCategory.VIOLENCE: 1}, seed=11, by=supervisor)

    # The supervisor asks for a second review of every decision and shares the work between two auditors.
    sign_in(page, base, "supervisor")
    _ask_for_second_reviews_and_share_them(page, base, screenshot, audit)
    sign_out(page, base)

    # Each auditor reviews the decision without seeing the other's verdict.
    primary = audit.reviews.get(kind=ReviewKind.PRIMARY)
    first, second = ("auditor", "auditor2") if primary.auditor.username == "auditor" else ("auditor2", "auditor")
    sign_in(page, base, first)
    _review_first(page, base, screenshot)
    sign_out(page, base)

    sign_in(page, base, second)
    _review_second_without_seeing_the_first(page, base, screenshot)
    sign_out(page, base)

    # The supervisor approves both; sign-off is refused with a link to the disagreement.
    sign_in(page, base, "supervisor")
    _approve_both_and_find_sign_off_refused(page, base, screenshot, audit)

    # Both reviews side by side; the final verdict needs a reason.
    _record_the_final_verdict(page, screenshot)

    _see_it_resolved_and_sign_off(page, base, screenshot, audit)

    audit.refresh_from_db()
    assert audit.status == AuditStatus.SIGNED_OFF
    disagreement = Disagreement.objects.get()
    assert disagreement.final_review.decision_correct == "no"
    assert disagreement.primary_review.decision_correct == "yes"
    assert page.problems == []
