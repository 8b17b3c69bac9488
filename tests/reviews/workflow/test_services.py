"""The audit workflow's services: each checks the review rules itself (acceptance 3, the service path),
refuses stale or repeated changes cleanly, and records who did what."""

import pytest
from django.core.exceptions import ValidationError

from accounts.roles import Role
from reviews.errors import StaleReviewError
from reviews.models import AuditStatus, OffenceCategory, ReviewStatus, Verdict
from reviews.workflow.services import (
    audit_approve_submitted,
    audit_assign_evenly,
    audit_reassign,
    audit_reopen,
    audit_sign_off,
    review_approve,
    review_assign,
    review_return,
    review_save,
)
from tests.factories import DecisionFactory, UserFactory, sampled_audit

pytestmark = pytest.mark.django_db

COMPLETE = {"decision_correct": Verdict.YES, "victim_should_be_informed": True, "victim_informed": "yes"}


@pytest.fixture
def review(auditor, supervisor):
    DecisionFactory(crime_record__reference="NH/26/00001")
    audit = sampled_audit(name="Services", sizes={OffenceCategory.VIOLENCE: 1}, auditors=[auditor], by=supervisor)
    return audit.reviews.get()


def save(review, answers, *, submit=True, by=None):
    review.refresh_from_db()
    return review_save(review=review, by=by or review.auditor, answers=answers, version=review.version, submit=submit)


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        (COMPLETE | {"decision_correct": Verdict.NO, "notes": "x"}, "incorrect_reason", "Select why the decision"),
        (COMPLETE | {"decision_correct": Verdict.NO, "incorrect_reason": "other"}, "notes", "Explain in the notes"),
        (COMPLETE | {"incorrect_reason": "other"}, "incorrect_reason", "Give a reason only when"),
        (COMPLETE | {"victim_informed": ""}, "victim_informed", "Select whether the victim was informed."),
        (COMPLETE | {"victim_should_be_informed": False}, "victim_informed", "only when they should have been"),
        (
            COMPLETE | {"victim_should_be_informed": False, "victim_informed": ""},
            "no_need_to_inform_reason",
            "Select why the victim did not need",
        ),
        ({"decision_correct": Verdict.YES}, "victim_should_be_informed", "Select whether the victim should"),
    ],
    ids=["no-reason", "no-note", "reason-when-correct", "informed-missing", "informed-not-needed", "why-not", "half"],
)
def test_submitting_checks_the_review_rules(review, answers, field, message):
    with pytest.raises(ValidationError) as refused:
        save(review, answers)

    assert message in " ".join(refused.value.message_dict[field])
    review.refresh_from_db()
    assert review.status == ReviewStatus.TO_DO


def test_a_draft_may_be_partial_but_not_contradictory(review):
    save(review, {"decision_correct": Verdict.NO}, submit=False)
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT

    with pytest.raises(ValidationError, match="Give a reason only when"):
        save(review, {"decision_correct": Verdict.YES, "incorrect_reason": "other"}, submit=False)


def test_only_the_assigned_auditor_saves_answers(review):
    with pytest.raises(ValidationError, match="assigned to someone else"):
        save(review, COMPLETE, by=UserFactory(role=Role.AUDITOR))


def test_a_stale_save_is_refused_and_a_repeated_one_changes_nothing(review):
    opened = review.version
    saved = review_save(review=review, by=review.auditor, answers=COMPLETE, version=opened, submit=True)

    repeat = review_save(review=review, by=review.auditor, answers=COMPLETE, version=opened, submit=True)
    assert repeat.version == saved.version
    with pytest.raises(StaleReviewError):
        review_save(
            review=review,
            by=review.auditor,
            answers=COMPLETE | {"decision_correct": Verdict.CANNOT_TELL},
            version=opened,
            submit=True,
        )
    assert review.history.filter(history_change_reason="Submitted").count() == 1


def test_a_submitted_review_is_changed_only_after_its_return(review, supervisor):
    save(review, COMPLETE)
    with pytest.raises(ValidationError, match="Ask your supervisor to return it"):
        save(review, COMPLETE | {"notes": "second thoughts"})

    review_return(review=review, by=supervisor, comment="Add a note.")
    review_return(review=review, by=supervisor, comment="Add a note.")
    save(review, COMPLETE | {"notes": "Checked the log."})

    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert review.return_comment == ""
    assert review.history.filter(history_change_reason="Returned: Add a note.").count() == 1


def test_approval_is_for_submitted_reviews_and_happens_once(review, supervisor):
    with pytest.raises(ValidationError, match="Only a submitted review can be approved."):
        review_approve(review=review, by=supervisor)
    save(review, COMPLETE)

    review_approve(review=review, by=supervisor)
    review_approve(review=review, by=supervisor)

    assert review.history.filter(history_change_reason="Approved").count() == 1
    assert review.history.latest("history_date").history_user == supervisor


def test_sign_off_waits_for_every_approval_and_reopening_needs_a_reason(review, supervisor):
    audit = review.audit
    with pytest.raises(ValidationError, match="1 review is not approved yet"):
        audit_sign_off(audit=audit, by=supervisor)
    save(review, COMPLETE)
    assert audit_approve_submitted(audit=audit, by=supervisor) == 1

    audit_sign_off(audit=audit, by=supervisor)
    audit_sign_off(audit=audit, by=supervisor)
    with pytest.raises(ValidationError, match="Enter why the audit is being reopened."):
        audit_reopen(audit=audit, by=supervisor, reason="  ")

    audit.refresh_from_db()
    assert audit.status == AuditStatus.SIGNED_OFF
    assert audit.history.filter(history_change_reason="Signed off").count() == 1


def test_only_auditors_are_given_reviews_and_submitted_ones_stay_put(review, supervisor):
    with pytest.raises(ValidationError, match="auditor role"):
        review_assign(review=review, auditor=supervisor, by=supervisor)
    with pytest.raises(ValidationError, match="auditor role"):
        audit_assign_evenly(audit=review.audit, auditors=[supervisor], by=supervisor)
    save(review, COMPLETE)

    with pytest.raises(ValidationError, match="stays with the auditor who made it"):
        review_assign(review=review, auditor=UserFactory(role=Role.AUDITOR), by=supervisor)


def test_a_reassignment_refused_half_way_changes_no_review(auditor, supervisor):
    for number in range(3):
        DecisionFactory(crime_record__reference=f"NH/26/{number:05d}")
    audit = sampled_audit(name="Reassign", sizes={OffenceCategory.VIOLENCE: 3}, auditors=[auditor], by=supervisor)
    first, submitted, last = audit.reviews.order_by("sample_position")
    save(submitted, COMPLETE)
    other = UserFactory(role=Role.AUDITOR)

    with pytest.raises(ValidationError, match="stays with the auditor who made it"):
        audit_reassign(audit=audit, assignments={first.pk: other, submitted.pk: other, last.pk: other}, by=supervisor)

    assert set(audit.reviews.values_list("auditor", flat=True)) == {auditor.pk}
    assert audit_reassign(audit=audit, assignments={first.pk: other, last.pk: other}, by=supervisor) == 2
    assert audit_reassign(audit=audit, assignments={first.pk: other, last.pk: other}, by=supervisor) == 0
