"""Quality assurance writes: choosing second reviews, recording disagreements and their final verdicts,
known-answer items. Each runs in one transaction with the audit's row locked (`reviews.workflow.locking`)."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from reviews.models import (
    CLOSED_IN_AGREEMENT,
    Audit,
    CancellationDecision,
    Disagreement,
    KnownAnswerItem,
    Review,
    ReviewKind,
    ReviewStatus,
)
from reviews.quality.qa import SHARE_INVALID, second_review_selection
from reviews.workflow.locking import lock_open_audit, record_change

# The answers on which a primary and a second review must agree; any other difference is left to the notes.
COMPARED_ANSWERS = {"decision_correct": "decision_correct_differs", "victim_informed": "victim_informed_differs"}

CLOSED_NOT_SETTLED = "This disagreement is closed: the two reviews now agree, so there is no final verdict to record."


def second_reviews_select(*, audit: Audit, by) -> int:
    """Create the second reviews the audit's share asks for, chosen with `reviews.quality.qa.second_review_selection`
    from the sampled primary reviews (known-answer items are not part of the sample). Items are named by crime
    reference, so the same seed and population choose the same decisions in any audit or database. Items that
    already have a second review keep it. Returns how many were created. The caller holds the audit's lock."""
    primaries = (
        audit.reviews.filter(kind=ReviewKind.PRIMARY, sample_position__isnull=False)
        .order_by("decision__crime_record__offence_category", "sample_position", "pk")
        .values_list("decision__crime_record__offence_category", "decision__crime_record__reference", "pk")
    )
    items: dict[str, list[str]] = {}
    primary_of: dict[str, int] = {}
    for category, reference, primary_id in primaries:
        items.setdefault(category, []).append(reference)
        primary_of[reference] = primary_id
    if not items or audit.seed is None:
        return 0
    already: dict[str, list[str]] = {}
    for category, reference in audit.reviews.filter(kind=ReviewKind.SECOND).values_list(
        "decision__crime_record__offence_category", "decision__crime_record__reference"
    ):
        if reference in primary_of:
            already.setdefault(category, []).append(reference)
    selection = second_review_selection(
        items_by_category=items, share=audit.second_review_share, seed=audit.seed, already_chosen=already
    )
    chosen_before = {reference for references in already.values() for reference in references}
    primaries_by_id = {
        review.pk: review
        for review in audit.reviews.filter(
            pk__in=[primary_of[ref] for refs in selection.values() for ref in refs if ref not in chosen_before]
        )
    }
    created = 0
    for references in selection.values():
        for reference in references:
            if reference in chosen_before:
                continue
            primary = primaries_by_id[primary_of[reference]]
            second = Review(
                audit=audit, decision_id=primary.decision_id, kind=ReviewKind.SECOND, primary_review=primary
            )
            record_change(second, by=by, reason="Chosen for a second review")
            created += 1
    return created


@transaction.atomic
def audit_set_second_review_share(*, audit: Audit, share: int, by) -> int:
    """Set the per cent of each category's sample that gets a blind second review, and create the second
    reviews the new share adds (spread across categories, reproducibly from the audit's seed). Returns how
    many were created.

    Lowering the share removes nothing: a second review, once chosen, stays. Setting the same share again
    adds nothing. Raises `ValidationError` for a share outside 0-100 and `AuditLockedError` for a signed-off
    audit.
    """
    if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= 100:
        raise ValidationError({"second_review_share": SHARE_INVALID})
    audit = lock_open_audit(audit)
    if audit.second_review_share != share:
        audit.second_review_share = share
        record_change(audit, by=by, reason=f"Second review share set to {share}%")
    return second_reviews_select(audit=audit, by=by)


def disagreement_detect(*, review: Review, by) -> Disagreement | None:
    """After `review` is submitted: when its blind partner (the primary or the second review of the same
    decision) is finished too, record whether their verdicts differ. Safe to repeat: one disagreement per
    pair at most. A disagreement stays on record: an open one whose returned review is resubmitted in agreement
    is closed with that reason (`CLOSED_IN_AGREEMENT`), and a closed one opens again if the two reviews come
    to differ once more; a settled one is left alone. The caller holds the audit's lock."""
    if review.kind == ReviewKind.PRIMARY:
        primary, second = review, Review.objects.filter(primary_review=review).first()
    elif review.kind == ReviewKind.SECOND:
        primary, second = Review.objects.get(pk=review.primary_review_id), review
    else:
        return None
    if second is None or not (primary.is_finished and second.is_finished):
        return None
    differs = {flag: getattr(primary, name) != getattr(second, name) for name, flag in COMPARED_ANSWERS.items()}
    existing = Disagreement.objects.filter(primary_review=primary).first()
    if existing is not None and existing.is_resolved:
        return existing
    if not any(differs.values()):
        if existing is not None and not existing.is_closed:
            existing.closed_at = timezone.now()
            existing.closed_reason = CLOSED_IN_AGREEMENT
            record_change(existing, by=by, reason=CLOSED_IN_AGREEMENT)
        return existing
    disagreement = existing or Disagreement(
        audit=primary.audit, decision_id=primary.decision_id, primary_review=primary, second_review=second
    )
    unchanged = all(getattr(disagreement, flag) == value for flag, value in differs.items())
    if existing is not None and not existing.is_closed and unchanged:
        return existing
    reason = "The two reviews differ again" if disagreement.is_closed else "The two reviews differ"
    for flag, value in differs.items():
        setattr(disagreement, flag, value)
    disagreement.closed_at = None
    disagreement.closed_reason = ""
    record_change(disagreement, by=by, reason=reason)
    return disagreement


@transaction.atomic
def disagreement_resolve(*, disagreement: Disagreement, by, answers: Mapping, reason: str) -> Disagreement:
    """Record the supervisor's final verdict on a disagreement (`answers`, a mapping of `Review.ANSWER_FIELDS`) and
    why. The final verdict is a review of kind "final", which the results count instead of the primary
    review; the primary and second reviews are not changed. Resolving again replaces the final verdict and
    reason, with the earlier ones kept in the history; the same resolution sent twice changes nothing.

    Raises `ValidationError` with a message per field for an empty reason or answers that break the review
    rules, and `AuditLockedError` for a signed-off audit.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Explain why this is the final verdict."})
    audit = lock_open_audit(disagreement.audit)
    disagreement = Disagreement.objects.select_for_update().get(pk=disagreement.pk)
    if disagreement.is_closed:
        raise ValidationError(CLOSED_NOT_SETTLED)
    final = Review.objects.filter(pk=disagreement.final_review_id).first() or Review(
        audit=audit, decision_id=disagreement.decision_id, kind=ReviewKind.FINAL, status=ReviewStatus.APPROVED
    )
    if disagreement.is_resolved and disagreement.reason == reason and final.has_answers(answers):
        return disagreement
    final.set_answers(answers)
    final.auditor = by
    final.submitted_at = timezone.now()
    if final.pk:
        final.version += 1
    record_change(final, by=by, reason=f"Final verdict: {reason}")
    disagreement.final_review = final
    disagreement.reason = reason
    disagreement.resolved_by = by
    disagreement.resolved_at = timezone.now()
    record_change(disagreement, by=by, reason="Resolved")
    return disagreement


@transaction.atomic
def known_answer_add(*, audit: Audit, reference: str, decision_correct: str, source: str, by) -> KnownAnswerItem:
    """Add to the audit a decision whose verdict is already settled (`decision_correct`), found by its crime
    reference among the audit's force's decisions in the audit's period. It gets a primary review like any
    sampled decision, to be assigned as usual; its answers are compared with the settled verdict and left
    out of the results. Adding the same item again returns the one already added.

    Raises `ValidationError` for an unknown reference, a decision outside the audit, one already in the
    sample, an empty source or an unknown verdict; `AuditLockedError` for a signed-off audit.
    """
    audit = lock_open_audit(audit)
    reference = reference.strip()
    decision = (
        CancellationDecision.objects.for_force(audit.force_id)
        .filter(crime_record__reference=reference)
        .select_related("crime_record")
        .first()
    )
    if decision is None:
        raise ValidationError({"reference": f"{audit.force.name} has no cancelled crime with this reference."})
    existing = KnownAnswerItem.objects.filter(audit=audit, decision=decision).first()
    if existing is not None:
        if existing.decision_correct != decision_correct:
            raise ValidationError({"reference": "This decision is already a known-answer item with another verdict."})
        return existing
    if audit.reviews.filter(decision=decision).exists():
        raise ValidationError({"reference": "This decision is already in the audit's sample."})
    item = KnownAnswerItem(
        audit=audit, decision=decision, decision_correct=decision_correct, source=source.strip(), added_by=by
    )
    record_change(item, by=by, reason="Known-answer item added")
    record_change(Review(audit=audit, decision=decision), by=by, reason="Known-answer item added")
    return item
