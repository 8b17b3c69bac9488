"""Planning an audit and drawing its sample, both through `audit_plan` or one at a time, and what each
category's planned sample can show (`plan_precision`).

The draw itself (the reproducible order of a population) is in `sampling`."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from forces.models import Force
from reviews.models import (
    Audit,
    AuditCategory,
    AuditStatus,
    CancellationDecision,
    OffenceCategory,
    Review,
    ReviewKind,
)
from reviews.quality.services import second_reviews_select
from reviews.results.published import last_published_shares
from reviews.results.statistics import (
    Share,
    attribute_sample_size,
    percent,
    sample_size_for_margin,
    upper_bound_if_none_found,
)
from reviews.workflow.locking import lock_open_audit, record_change
from reviews.workflow.sampling import draw_order, population_checksum, propose_seed


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
        audit_category.sample_size += extra_per_category
        draw = _draw_category(
            audit, audit_category, populations[audit_category.offence_category], drawn=drawn, into=new_reviews
        )
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


def _draw_category(
    audit: Audit, audit_category: AuditCategory, population: list[tuple[str, int]], *, drawn: set, into: list
) -> CategoryDraw:
    """Draw one category's sample: a new review for each decision of the permutation's prefix that the audit
    does not have yet (added to `into` and `drawn`). Refused when the population has changed since it was
    first drawn."""
    references = [reference for reference, _ in population]
    checksum = population_checksum(references)
    if audit_category.drawn_at and checksum != audit_category.population_checksum:
        label = audit_category.get_offence_category_display().lower()
        raise ValidationError(
            f"The {label} decisions in this period have changed since the sample was drawn "
            f"({audit_category.population_size} then, {len(population)} now), so the sample cannot be "
            "extended reproducibly. Plan a new audit to sample the new population."
        )
    draw = CategoryDraw(audit_category=audit_category, population_size=len(population), checksum=checksum)
    order = draw_order(len(population), seed=audit.seed, category=audit_category.offence_category)
    for position, index in enumerate(order[: audit_category.sample_size]):
        reference, decision_id = population[index]
        draw.references.append(reference)
        if decision_id not in drawn:
            into.append(Review(audit=audit, decision_id=decision_id, sample_position=position))
            drawn.add(decision_id)
            draw.added += 1
    audit_category.population_size = len(population)
    audit_category.population_checksum = checksum
    return draw


# Planning by precision: what each category's sample can show, before anything is saved.

FALLBACK_RATE = 0.10  # the rate assumed for a category the force has no published result in
# The planning page's defaults, in per cent: a margin of 5 points either side, a tolerable rate of 5%.
DEFAULT_MARGIN = 5
DEFAULT_TOLERABLE_RATE = 5


@dataclass(frozen=True)
class CategoryPrecision:
    """What a sample of `sample_size` from a category's `population` can show, at the incorrect `rate` the
    force's last published audit found (`rate_from` names it; empty when the fallback of 10% is used)."""

    category: str
    population: int
    sample_size: int
    rate: float
    rate_from: str
    margin: float
    tolerable_rate: float

    @property
    def label(self) -> str:
        return OffenceCategory(self.category).label

    @property
    def reviewed(self) -> int:
        """A population smaller than the sample is taken whole (at least one, to say what one record shows)."""
        return max(1, min(self.sample_size, self.population)) if self.population else self.sample_size

    @property
    def expected(self) -> Share:
        """The result the sample would show at `rate`, halves rounded up as the margins table rounds them."""
        return Share(math.floor(self.rate * self.reviewed + 0.5), self.reviewed)

    @property
    def upper_if_none_found(self) -> Decimal:
        return percent(upper_bound_if_none_found(self.reviewed))

    @property
    def needed_for_margin(self) -> int:
        return sample_size_for_margin(rate=self.rate, margin=self.margin)

    @property
    def attribute_size(self) -> int:
        return attribute_sample_size(tolerable_rate=self.tolerable_rate)


def plan_precision(
    *,
    force: Force,
    period_start: date,
    period_end: date,
    sizes: Mapping[str, int],
    margin: float,
    tolerable_rate: float,
) -> list[CategoryPrecision]:
    """For each category of `sizes` ({category: sample size}): its population in the period and what its
    sample can show (see `CategoryPrecision`). `margin` and `tolerable_rate` are fractions. Two queries: the
    populations, and the force's published results."""
    counts = dict(
        CancellationDecision.objects.for_force(force)
        .decided_between(period_start, period_end)
        .in_category(*sizes)
        .values_list("crime_record__offence_category")
        .annotate(population=Count("pk"))
        .order_by()
    )
    last = last_published_shares(force=force)
    rows = []
    for category, size in sizes.items():
        name, share = last.get(category, ("", None))
        rows.append(
            CategoryPrecision(
                category=category,
                population=counts.get(category, 0),
                sample_size=size,
                rate=share.fraction if share else FALLBACK_RATE,
                rate_from=name,
                margin=margin,
                tolerable_rate=tolerable_rate,
            )
        )
    return rows
