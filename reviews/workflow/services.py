from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import User
from accounts.roles import Role
from forces.models import Force
from reviews.errors import StaleReviewError
from reviews.models import (
    Audit,
    AuditCategory,
    AuditStatus,
    CancellationDecision,
    CrimeRecord,
    Review,
    ReviewKind,
    ReviewStatus,
)
from reviews.quality.services import disagreement_detect, second_reviews_select
from reviews.workflow.locking import lock_open_audit, lock_open_review, record_change
from reviews.workflow.sampling import draw_order, population_checksum, propose_seed


@transaction.atomic
def decision_record(
    *,
    force: Force,
    reference: str,
    offence_category: str,
    recorded_on: date,
    outcome: str,
    criterion: str,
    decided_on: date,
    authoriser_role: str,
    offence_code: str = "",
    receiving_force: Force | None = None,
    rationale: str = "",
) -> CancellationDecision:
    """Record a crime and the decision that removed it, both checked before either is saved.

    Raises `ValidationError` with a message per field (a reference the force already used, a
    criterion that does not fit the outcome, a decision dated before the crime was recorded...).
    """
    record = CrimeRecord(
        force=force,
        reference=reference,
        offence_category=offence_category,
        offence_code=offence_code,
        recorded_on=recorded_on,
    )
    record.full_clean()
    record.save()
    decision = CancellationDecision(
        crime_record=record,
        outcome=outcome,
        criterion=criterion,
        decided_on=decided_on,
        authoriser_role=authoriser_role,
        receiving_force=receiving_force,
        rationale=rationale,
    )
    decision.full_clean()
    decision.save()
    return decision


@transaction.atomic
def audit_create(
    *,
    force: Force,
    name: str,
    period_start: date,
    period_end: date,
    categories: Mapping[str, int],
    created_by=None,
    seed: int | None = None,
    recording_grade: str = "",
    second_review_share: int = 0,
) -> Audit:
    """Plan an audit of `force`'s decisions between two dates, sampling `categories` ({category: sample size}).

    Raises `ValidationError` for an empty category list, an unknown category, a sample size under 1,
    a period that ends before it starts, or a name the force's audits already use.
    """
    if not categories:
        raise ValidationError({"categories": "Choose at least one offence category to sample."})
    audit = Audit(
        force=force,
        name=name,
        period_start=period_start,
        period_end=period_end,
        created_by=created_by,
        seed=seed,
        recording_grade=recording_grade,
        second_review_share=second_review_share,
    )
    audit.full_clean()
    audit.save()
    for category, sample_size in categories.items():
        audit_category = AuditCategory(audit=audit, offence_category=category, sample_size=sample_size)
        audit_category.full_clean()
        audit_category.save()
    return audit


@dataclass
class CategoryDraw:
    """What one category's draw holds: its population and the crime references drawn, in draw order."""

    audit_category: AuditCategory
    population_size: int
    checksum: str
    references: list[str] = field(default_factory=list)
    added: int = 0

    @property
    def taken_whole(self) -> bool:
        return self.population_size <= self.audit_category.sample_size


def audit_populations(*, audit: Audit, categories: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    """For each of `categories`, (crime reference, decision id) of every decision its sample is drawn from,
    in reference order. One query for all the categories.

    Sorted here rather than by the database, so the order is the same on SQLite and PostgreSQL whatever
    their collations, and survives a dump and restore (ids may change; references do not).
    """
    populations: dict[str, list[tuple[str, int]]] = {category: [] for category in categories}
    rows = (
        CancellationDecision.objects.for_force(audit.force_id)
        .decided_between(audit.period_start, audit.period_end)
        .in_category(*categories)
        .order_by()
        .values_list("crime_record__offence_category", "crime_record__reference", "pk")
    )
    for category, reference, decision_id in rows.iterator(chunk_size=10_000):
        populations[category].append((reference, decision_id))
    for population in populations.values():
        population.sort()
    return populations


@transaction.atomic
def audit_plan(
    *,
    force: Force,
    name: str,
    period_start: date,
    period_end: date,
    categories: Mapping[str, int],
    seed: int,
    by=None,
    second_review_share: int = 0,
) -> tuple[Audit, list[CategoryDraw]]:
    """Plan an audit (see `audit_create`) and draw its sample (see `audit_draw_sample`), both or neither.

    The same plan sent twice by the same person (a double click) returns the audit the first one made.
    Raises `ValidationError` as those two do.
    """
    existing = (
        Audit.objects.filter(
            force=force,
            name=name,
            period_start=period_start,
            period_end=period_end,
            seed=seed,
            created_by=by,
            second_review_share=second_review_share,
        )
        .prefetch_related("categories")
        .first()
    )
    if existing is not None and {c.offence_category: c.sample_size for c in existing.categories.all()} == dict(
        categories
    ):
        return existing, audit_draw_sample(audit=existing, by=by)
    audit = audit_create(
        force=force,
        name=name,
        period_start=period_start,
        period_end=period_end,
        categories=categories,
        created_by=by,
        seed=seed,
        second_review_share=second_review_share,
    )
    return audit, audit_draw_sample(audit=audit, by=by)


def sample_total(audit: Audit) -> int:
    """The sum of the audit's sample sizes: a form that extends the sample sends it back, so that the same
    extension sent twice is recognised."""
    return sum(audit.categories.values_list("sample_size", flat=True))


@transaction.atomic
def audit_draw_sample(
    *, audit: Audit, extra_per_category: int = 0, by=None, expected_sample_total: int | None = None
) -> list[CategoryDraw]:
    """Draw the audit's sample: for each category, the first `sample_size` decisions of a permutation of the
    population seeded from the audit's seed and the category. Returns each category's draw.

    Drawing again adds only what is missing, so it is safe to repeat. `extra_per_category` raises every
    category's sample size first ("Extend sample"); the items drawn before stay, as the first ones of the
    longer prefix. A category with fewer decisions than asked is taken whole. An audit without a seed gets a
    random one, stored. With `expected_sample_total` (see `sample_total`), an extension whose page was
    opened before the sample sizes last changed is taken for a repeat, and nothing is added. Raises
    `AuditLockedError` for a signed-off audit, and `ValidationError` when a category's population has
    changed since it was drawn (the sample could no longer be reproduced).
    """
    if extra_per_category < 0:
        raise ValidationError({"extra_per_category": "Enter a number of decisions to add of 0 or more."})
    audit = lock_open_audit(audit)
    if expected_sample_total is not None and sample_total(audit) != expected_sample_total:
        extra_per_category = 0
    if audit.seed is None:
        audit.seed = propose_seed()
    drawn = set(audit.reviews.filter(kind=ReviewKind.PRIMARY).values_list("decision_id", flat=True))
    now = timezone.now()
    draws = []
    new_reviews: list[Review] = []
    audit_categories = list(audit.categories.select_for_update().order_by("offence_category"))
    populations = audit_populations(
        audit=audit, categories=[audit_category.offence_category for audit_category in audit_categories]
    )
    for audit_category in audit_categories:
        population = populations[audit_category.offence_category]
        references = [reference for reference, _ in population]
        checksum = population_checksum(references)
        if audit_category.drawn_at and checksum != audit_category.population_checksum:
            label = audit_category.get_offence_category_display().lower()
            raise ValidationError(
                f"The {label} decisions in this period have changed since the sample was drawn "
                f"({audit_category.population_size} then, {len(population)} now), so the sample cannot be "
                "extended reproducibly. Plan a new audit to sample the new population."
            )
        audit_category.sample_size += extra_per_category
        draw = CategoryDraw(audit_category=audit_category, population_size=len(population), checksum=checksum)
        order = draw_order(len(population), seed=audit.seed, category=audit_category.offence_category)
        for position, index in enumerate(order[: audit_category.sample_size]):
            reference, decision_id = population[index]
            draw.references.append(reference)
            if decision_id not in drawn:
                new_reviews.append(Review(audit=audit, decision_id=decision_id, sample_position=position))
                drawn.add(decision_id)
                draw.added += 1
        audit_category.population_size = len(population)
        audit_category.population_checksum = checksum
        audit_category.drawn_at = audit_category.drawn_at or now
        record_change(audit_category, by=by)
        draws.append(draw)
    # The new reviews go in together, each with its history entry. What `full_clean()` would look up row by row
    # is settled already: the audit is locked and open, each decision comes from its population, and `drawn`
    # holds every decision the audit has, so none is sampled twice; the database checks the rest as they go in.
    for review in new_reviews:
        review.clean_fields(exclude=["audit", "decision", "auditor", "primary_review"])
    bulk_create_with_history(new_reviews, Review, batch_size=500, default_user=by, default_date=now)
    if audit.status == AuditStatus.PLANNING:
        audit.status = AuditStatus.IN_PROGRESS
    record_change(audit, by=by, reason="Sample drawn" if not extra_per_category else "Sample extended")
    second_reviews_select(audit=audit, by=by)
    return draws


def _check_auditor(user) -> None:
    if user is None or not user.is_active or not user.has_role(Role.AUDITOR):
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
    if auditor is not None:
        _check_auditor(auditor)
    if review.auditor_id == (auditor.pk if auditor else None):
        return review
    if review.is_finished:
        raise ValidationError("A submitted review stays with the auditor who made it.")
    if auditor is None and review.status != ReviewStatus.TO_DO:
        raise ValidationError("A review with answers saved needs an auditor; choose another one instead.")
    review.auditor = auditor
    review.version += 1
    record_change(review, by=by, reason=f"Assigned to {auditor}" if auditor else "Unassigned")
    return review


@transaction.atomic
def audit_reassign(*, audit: Audit, assignments: Mapping[int, User | None], by) -> int:
    """Give each of the audit's reviews named in `assignments` ({review id: auditor, or None to take it
    back}) to its auditor, all or none: the first refusal (see `review_assign`) undoes the others. Reviews
    that already have that auditor are left alone. Returns how many reviews changed hands."""
    lock_open_audit(audit)
    changed = 0
    reviews = Review.objects.for_audit(audit).filter(pk__in=assignments).order_by("pk")
    for review in reviews:
        auditor = assignments[review.pk]
        if review.auditor_id != (auditor.pk if auditor else None):
            review_assign(review=review, auditor=auditor, by=by)
            changed += 1
    return changed


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
    """Sign the audit off, which locks its reviews. Signing off again changes nothing.

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
            f"{unresolved} disagreement{'s' if unresolved != 1 else ''} between first and second reviews "
            f"{'are' if unresolved != 1 else 'is'} not resolved: record the final verdict before signing off.",
            code=UNRESOLVED_DISAGREEMENTS_CODE,
        )
    waiting = sign_off_blockers(audit)
    if waiting:
        raise ValidationError(
            f"{waiting} review{'s are' if waiting != 1 else ' is'} not approved yet: "
            "approve every review before signing the audit off."
        )
    audit.status = AuditStatus.SIGNED_OFF
    audit.signed_off_by = by
    audit.signed_off_at = timezone.now()
    record_change(audit, by=by, reason="Signed off")
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
