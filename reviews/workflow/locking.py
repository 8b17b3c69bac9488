"""The row locks every change to an audit's reviews takes, and saving with history.

A service locks the audit's row before any of its reviews, so that a sign-off and a change to one of its reviews
happen one after the other and never wait for each other in a cycle."""

from reviews.errors import AuditLockedError
from reviews.models import (
    Audit,
    Review,
)


def record_change(instance, *, by, reason: str | None = None) -> None:
    """Validate and save `instance`, with who did it (and why) in its history."""
    instance.full_clean()
    instance._history_user = by
    if reason:
        instance._change_reason = reason
    instance.save()


def lock_open_audit(audit: Audit) -> Audit:
    """The audit's row, locked for the rest of the transaction; refused if signed off."""
    audit = Audit.objects.select_for_update().select_related("force").get(pk=audit.pk)
    if audit.is_locked:
        raise AuditLockedError()
    return audit


def lock_open_review(review: Review) -> Review:
    """The review's row and its audit's, locked for the rest of the transaction; refused if signed off.

    The audit is locked first, as the audit-wide services do, so that a sign-off and a change to one of
    its reviews happen one after the other (never both half-way) and never wait for each other in a cycle.
    """
    audit = lock_open_audit(Audit(pk=Review.objects.values_list("audit_id", flat=True).get(pk=review.pk)))
    review = Review.objects.select_for_update().get(pk=review.pk)
    review.audit = audit
    return review
