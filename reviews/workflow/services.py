"""The audit workflow's writes after the draw: assigning reviews, saving, returning and approving them, signing
an audit off and reopening it. Each is one transaction; see `planning` for planning and drawing."""

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.models import User
from reviews.errors import StaleReviewError
from reviews.models import (
    Audit,
    AuditStatus,
    Review,
    ReviewKind,
    ReviewStatus,
)
from reviews.permissions import may_be_given_reviews
from reviews.quality.services import disagreement_detect
from reviews.remedies.services import actions_raise
from reviews.workflow.locking import lock_open_audit, lock_open_review, record_change


def _check_auditor(user) -> None:
    if not may_be_given_reviews(user):
        raise ValidationError({"auditor": "Choose someone who has the auditor role."})


@transaction.atomic
def audit_assign_evenly(*, audit: Audit, auditors: Sequence, by) -> int:
    """Share the audit's unassigned reviews among `auditors`, in sample order, so that each ends up with as
    even a load as possible (counting what they already have). Returns how many reviews were assigned.

    Raises `ValidationError` when no auditor is chosen or one of them is not an auditor, and
    `AuditLockedError` for a signed-off audit.
    """
    if not auditors:
        raise ValidationError({"auditors": "Choose at least one auditor."})
    for auditor in auditors:
        _check_auditor(auditor)
    audit = lock_open_audit(audit)
    # Primary reviews first ("primary" sorts before "second"), so a second review knows whom to avoid.
    reviews = list(
        audit.reviews.select_for_update(of=("self",))
        .filter(kind__in=ReviewKind.blind_pair(), auditor__isnull=True)
        .select_related("primary_review")
        .order_by("kind", "decision__crime_record__offence_category", "sample_position", "pk")
    )
    loads = dict(
        audit.reviews.filter(auditor__in=auditors, kind__in=ReviewKind.blind_pair())
        .values("auditor")
        .annotate(n=Count("pk"))
        .values_list("auditor", "n")
    )
    load = {auditor.pk: loads.get(auditor.pk, 0) for auditor in auditors}
    assigned_to: dict[int, int] = {}
    assigned = 0
    for review in reviews:
        candidates = auditors
        if review.kind == ReviewKind.SECOND:
            primary_auditor = assigned_to.get(review.primary_review_id, review.primary_review.auditor_id)
            # A second review waits until its primary review has an auditor, and never goes to that auditor.
            candidates = [user for user in auditors if primary_auditor and user.pk != primary_auditor]
            if not candidates:
                continue
        # The least-loaded auditor next; ties go to the order in which auditors were listed.
        auditor = min(candidates, key=lambda user: load[user.pk])
        review.auditor = auditor
        record_change(review, by=by, reason=f"Assigned to {auditor}")
        assigned_to[review.pk] = auditor.pk
        load[auditor.pk] += 1
        assigned += 1
    return assigned


@transaction.atomic
def review_assign(*, review: Review, auditor, by) -> Review:
    """Give one review to `auditor` (or take it back with `auditor=None`). Only a review not yet submitted
    can change hands; raises `ValidationError` otherwise, and `AuditLockedError` for a signed-off audit."""
    review = lock_open_review(review)
    _assign(review, auditor, by=by)
    return review


@transaction.atomic
def audit_reassign(*, audit: Audit, assignments: Mapping[int, User | None], by) -> int:
    """Give each of the audit's reviews named in `assignments` ({review id: auditor, or None to take it
    back}) to its auditor, all or none: the first refusal (see `review_assign`) undoes the others. Reviews
    that already have that auditor are left alone. Returns how many reviews changed hands."""
    audit = lock_open_audit(audit)
    changed = 0
    for review in Review.objects.for_audit(audit).filter(pk__in=assignments).select_for_update().order_by("pk"):
        review.audit = audit
        changed += _assign(review, assignments[review.pk], by=by)
    return changed


def _assign(review: Review, auditor, *, by) -> bool:
    """Give the locked `review` to `auditor`; whether it changed hands. The caller holds the audit's lock."""
    if auditor is not None:
        _check_auditor(auditor)
    if review.auditor_id == (auditor.pk if auditor else None):
        return False
    if review.is_finished:
        raise ValidationError("A submitted review stays with the auditor who made it.")
    if auditor is None and review.status != ReviewStatus.TO_DO:
        raise ValidationError("A review with answers saved needs an auditor; choose another one instead.")
    review.auditor = auditor
    review.version += 1
    record_change(review, by=by, reason=f"Assigned to {auditor}" if auditor else "Unassigned")
    return True


@transaction.atomic
def review_save(*, review: Review, by, answers: Mapping, version: int, submit: bool) -> Review:
    """Save the auditor's `answers` (a mapping of `Review.ANSWER_FIELDS`): as a draft, which may be partial, or
    submitted (`submit=True`), which must be complete. Returns the saved review.

    `version` is the review's version the answers were based on. If someone saved it since, the save is
    refused with `StaleReviewError` and the stored review is kept; the same submission sent twice (a
    double click) is recognised and changes nothing. Raises `ValidationError` with a message per field for
    answers that break the review rules, for a review assigned to someone else, already submitted or
    approved; `AuditLockedError` for a signed-off audit.
    """
    review = lock_open_review(review)
    target = ReviewStatus.SUBMITTED if submit else ReviewStatus.DRAFT
    if version != review.version:
        if review.status == target and review.auditor_id == by.pk and review.has_answers(answers):
            return review
        raise StaleReviewError()
    if review.auditor_id != by.pk:
        raise ValidationError("This review is assigned to someone else.")
    if review.status == ReviewStatus.APPROVED:
        raise ValidationError("This review has been approved: it can no longer be changed.")
    if review.status == ReviewStatus.SUBMITTED:
        raise ValidationError("You have submitted this review. Ask your supervisor to return it if it needs a change.")
    review.set_answers(answers)
    review.status = target
    if submit:
        review.submitted_at = timezone.now()
        review.keep_first_submission(review.submitted_at)
        review.return_comment = ""
    review.version += 1
    record_change(review, by=by, reason="Submitted" if submit else None)
    if submit:
        disagreement_detect(review=review, by=by)
    return review


@transaction.atomic
def review_return(*, review: Review, by, comment: str) -> Review:
    """Send a submitted (or approved) review back to its auditor with `comment`; it becomes a draft they can
    change. An approved review can be returned while its audit is open, for example after reopening it.

    Repeating the same return changes nothing. Raises `ValidationError` for an empty comment or a review
    not yet submitted, and `AuditLockedError` for a signed-off audit.
    """
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": "Enter what the auditor needs to change."})
    review = lock_open_review(review)
    if review.status == ReviewStatus.DRAFT and review.return_comment == comment:
        return review
    if review.status not in ReviewStatus.finished():
        raise ValidationError("Only a submitted or approved review can be returned to its auditor.")
    review.status = ReviewStatus.DRAFT
    review.return_comment = comment
    review.version += 1
    record_change(review, by=by, reason=f"Returned: {comment}")
    return review


@transaction.atomic
def review_approve(*, review: Review, by) -> Review:
    """Approve a submitted review. Approving it again changes nothing. Raises `ValidationError` for a review
    that is not submitted, and `AuditLockedError` for a signed-off audit."""
    review = lock_open_review(review)
    if review.status == ReviewStatus.APPROVED:
        return review
    if review.status != ReviewStatus.SUBMITTED:
        raise ValidationError("Only a submitted review can be approved.")
    review.status = ReviewStatus.APPROVED
    review.version += 1
    record_change(review, by=by, reason="Approved")
    return review


@transaction.atomic
def audit_approve_submitted(*, audit: Audit, by) -> int:
    """Approve every submitted review of the audit; returns how many. Raises `AuditLockedError` for a
    signed-off audit."""
    audit = lock_open_audit(audit)
    reviews = list(audit.reviews.select_for_update().filter(status=ReviewStatus.SUBMITTED).order_by("pk"))
    for review in reviews:
        review.status = ReviewStatus.APPROVED
        review.version += 1
        record_change(review, by=by, reason="Approved")
    return len(reviews)


def sign_off_blockers(audit: Audit) -> int:
    """How many of the audit's reviews stand in the way of signing it off (not yet approved), second reviews
    included."""
    return audit.reviews.filter(~Q(status=ReviewStatus.APPROVED)).count()


UNRESOLVED_DISAGREEMENTS_CODE = "unresolved_disagreements"


@transaction.atomic
def audit_sign_off(*, audit: Audit, by) -> Audit:
    """Sign the audit off, which locks its reviews and raises an action for each finding (see `actions_raise`).
    Signing off again changes nothing.

    Raises `ValidationError` when the audit has no reviews or any review is not approved.
    """
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    if audit.is_locked:
        return audit
    if not audit.reviews.exists():
        raise ValidationError("Draw the sample before signing the audit off.")
    unresolved = audit.disagreements.unresolved().count()
    if unresolved:
        raise ValidationError(
            ngettext(
                "%(count)d disagreement between first and second reviews is not resolved: "
                "record the final verdict before signing off.",
                "%(count)d disagreements between first and second reviews are not resolved: "
                "record the final verdict before signing off.",
                unresolved,
            )
            % {"count": unresolved},
            code=UNRESOLVED_DISAGREEMENTS_CODE,
        )
    waiting = sign_off_blockers(audit)
    if waiting:
        raise ValidationError(
            ngettext(
                "%(count)d review is not approved yet: approve every review before signing the audit off.",
                "%(count)d reviews are not approved yet: approve every review before signing the audit off.",
                waiting,
            )
            % {"count": waiting}
        )
    audit.status = AuditStatus.SIGNED_OFF
    audit.signed_off_by = by
    audit.signed_off_at = timezone.now()
    record_change(audit, by=by, reason="Signed off")
    actions_raise(audit=audit, by=by)
    return audit


@transaction.atomic
def audit_reopen(*, audit: Audit, by, reason: str) -> Audit:
    """Reopen a signed-off audit so its reviews can change again; `reason` is kept in the audit's history.

    Reopening an audit that is already open changes nothing. Raises `ValidationError` for an empty reason.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Enter why the audit is being reopened."})
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    if not audit.is_locked:
        return audit
    audit.status = AuditStatus.IN_PROGRESS
    audit.signed_off_by = None
    audit.signed_off_at = None
    record_change(audit, by=by, reason=f"Reopened: {reason}")
    return audit
