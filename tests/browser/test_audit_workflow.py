"""Acceptance 5: an audit end to end in the browser. A supervisor plans and assigns it; an auditor reviews
three decisions with "Save and next" (correcting a validation error on the way); the supervisor returns
one, the auditor fixes it, the supervisor approves all and signs off; the auditor can no longer edit.
A screenshot of each page is saved in test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from reviews.models import Audit, AuditStatus, ReviewStatus
from tests.factories import DecisionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def sign_out(page, base: str) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/sign-in/")


def choose(page, question: str, value: str) -> None:
    # By name and value: the follow-up questions sit inside their parent's fieldset, so labels repeat.
    page.locator(f'input[name="{question}"][value="{value}"]').check()


def answer(page, *, correct: str, informed: str = "yes") -> None:
    choose(page, "decision_correct", correct)
    choose(page, "victim_should_be_informed", "yes")
    choose(page, "victim_informed", informed)


def _plan_the_audit(page, screenshot) -> Audit:
    page.get_by_role("link", name="Plan an audit").click()
    page.get_by_label("Force").select_option(label="Northamptonshire Police")
    page.get_by_label("Audit name").fill("Cancellations Q1 2026")
    page.get_by_label("First decision date").fill("01/01/2026")
    page.get_by_label("Last decision date").fill("31/03/2026")
    for category in ("Rape", "Other sexual offences", "Robbery"):
        page.get_by_label(category, exact=True).uncheck()
    page.get_by_label("Violence against the person: sample size").fill("5")
    # The margin-of-error helper follows the size typed (server-side without JavaScript).
    expect(page.locator("[data-margin-size]")).to_have_text("5")
    expect(page.get_by_role("cell", name="1 of 5 incorrect")).to_have_count(2)
    screenshot("01-plan-an-audit")
    page.get_by_role("button", name="Plan audit and draw sample").click()
    page.wait_for_url(re.compile(r"/audits/\d+/$"))
    audit = Audit.objects.get(name="Cancellations Q1 2026")
    expect(page.get_by_text("Cancellations Q1 2026 is planned and its sample drawn.")).to_be_visible()
    expect(page.get_by_text("Taken whole")).to_be_visible()
    expect(page.get_by_text(audit.categories.get().population_checksum)).to_be_visible()
    screenshot("02-audit-drawn")
    return audit


def _assign_it(page, screenshot) -> None:
    page.get_by_role("link", name="Assign reviews").click()
    page.get_by_label("Alex Morgan").check()
    screenshot("03-assign")
    page.get_by_role("button", name="Share evenly").click()
    expect(page.get_by_text("3 reviews assigned.")).to_be_visible()
    screenshot("04-assigned")


def _review_three_decisions(page, base: str, screenshot) -> None:
    page.get_by_role("link", name="My reviews").click()
    expect(page.get_by_text("0 of 3 done")).to_be_visible()
    screenshot("05-my-reviews")
    page.get_by_role("link", name=re.compile(r"^NH\/26\/")).first.click()
    expect(
        page.get_by_text("C2: additional verifiable information shows that no notifiable crime occurred")
    ).to_be_visible()
    screenshot("06-review")

    _answer_no_and_correct_the_errors(page, screenshot)
    first_url = page.url
    page.get_by_role("button", name="Save and next").click()
    page.wait_for_url(lambda url: url != first_url and "/reviews/" in url)
    expect(page.get_by_text("submitted.").first).to_be_visible()
    screenshot("08-second-review")

    answer(page, correct="yes")
    second_url = page.url
    page.get_by_role("button", name="Save and next").click()
    page.wait_for_url(lambda url: url != second_url)
    screenshot("09-third-review")
    answer(page, correct="yes", informed="no_record")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(f"{base}/reviews/")
    expect(page.get_by_text("3 of 3 done")).to_be_visible()
    screenshot("10-all-submitted")


def _answer_no_and_correct_the_errors(page, screenshot) -> None:
    # A "no" without a reason or a note is refused, with the error summary linking to the fields.
    answer(page, correct="no")
    page.get_by_role("button", name="Save and next").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "Select why the decision was incorrect." in summary.inner_text()
    assert "Explain in the notes why the decision was incorrect." in summary.inner_text()
    screenshot("07-review-with-errors")
    summary.get_by_role("link", name="Select why the decision was incorrect.").click()
    assert page.evaluate("document.activeElement.name") == "incorrect_reason"
    page.keyboard.press("Space")
    page.get_by_role("textbox", name="Notes").fill(
        "The rationale shows no verifiable information; the crime should stand."
    )


def _return_a_review(page, screenshot) -> str:
    """Returns the reference of the decision whose review went back to the auditor."""
    page.get_by_role("link", name="Cancellations Q1 2026").click()
    page.get_by_role("link", name=re.compile(r"^NH\/26\/")).first.click()
    page.wait_for_url(re.compile(r"/reviews/\d+/$"))
    returned_reference = page.locator("h1").inner_text().removeprefix("Review of ")
    screenshot("11-supervisor-reads-a-review")
    page.get_by_role("link", name="Return to auditor").click()
    page.get_by_label("What does the auditor need to change?").fill("Check the victim contact log again.")
    screenshot("12-return")
    page.get_by_role("button", name="Return to auditor").click()
    expect(page.get_by_text(f"Review of {returned_reference} returned to Alex Morgan.")).to_be_visible()
    return returned_reference


def _fix_the_returned_review(page, base: str, screenshot, returned_reference: str) -> None:
    page.get_by_role("link", name="My reviews").click()
    expect(page.get_by_text("2 of 3 done")).to_be_visible()
    page.get_by_role("link", name=returned_reference).click()
    expect(page.get_by_text("Check the victim contact log again.")).to_be_visible()
    screenshot("13-returned-review")
    choose(page, "victim_informed", "no")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(f"{base}/reviews/")
    expect(page.get_by_text("3 of 3 done")).to_be_visible()


def _approve_all_and_sign_off(page, screenshot, returned_reference: str) -> None:
    page.get_by_role("link", name="Cancellations Q1 2026").click()
    page.get_by_role("link", name=returned_reference).click()
    expect(page.get_by_text("Returned: Check the victim contact log again.")).to_be_visible()
    screenshot("14-review-history")
    page.get_by_role("link", name="Back to the audit").click()
    page.get_by_role("link", name="Approve submitted reviews").click()
    screenshot("15-approve")
    page.get_by_role("button", name="Approve submitted reviews").click()
    expect(page.get_by_text("3 reviews approved.")).to_be_visible()
    page.get_by_role("link", name="Sign off").click()
    screenshot("16-sign-off")
    page.get_by_role("button", name="Sign off").click()
    expect(page.get_by_text("The audit is signed off. Its reviews can no longer be changed.")).to_be_visible()
    screenshot("17-signed-off")


def _open_the_locked_review(page, screenshot, returned_reference: str) -> None:
    page.get_by_role("link", name="My reviews").click()
    page.get_by_role("link", name=returned_reference).click()
    expect(page.get_by_text("This audit is signed off: its reviews can no longer be changed.")).to_be_visible()
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    expect(page.get_by_role("button", name="Submit")).to_have_count(0)
    screenshot("18-locked-review")


def test_an_audit_from_planning_to_sign_off(live_server, page, screenshot):
    base = live_server.url
    UserFactory(username="supervisor", first_name="Priya", last_name="Shah", role=Role.SUPERVISOR)
    UserFactory(username="auditor", first_name="Alex", last_name="Morgan", role=Role.AUDITOR)
    for number in range(3):
        DecisionFactory(crime_record__reference=f"NH/26/{number:06d}")

    # The supervisor plans the audit; the sample is drawn when it is saved.
    sign_in(page, base, "supervisor")
    audit = _plan_the_audit(page, screenshot)
    # ...and assigns it.
    _assign_it(page, screenshot)
    sign_out(page, base)

    # The auditor reviews three decisions with "Save and next".
    sign_in(page, base, "auditor")
    _review_three_decisions(page, base, screenshot)
    sign_out(page, base)

    # The supervisor returns one review with a comment.
    sign_in(page, base, "supervisor")
    returned_reference = _return_a_review(page, screenshot)
    sign_out(page, base)

    # The auditor fixes it.
    sign_in(page, base, "auditor")
    _fix_the_returned_review(page, base, screenshot, returned_reference)
    sign_out(page, base)

    # The supervisor approves everything and signs off, seeing the history of the returned review.
    sign_in(page, base, "supervisor")
    _approve_all_and_sign_off(page, screenshot, returned_reference)
    sign_out(page, base)
    audit.refresh_from_db()
    assert audit.status == AuditStatus.SIGNED_OFF
    assert set(audit.reviews.values_list("status", flat=True)) == {ReviewStatus.APPROVED}

    # The auditor can no longer edit.
    sign_in(page, base, "auditor")
    _open_the_locked_review(page, screenshot, returned_reference)

    assert page.problems == []
