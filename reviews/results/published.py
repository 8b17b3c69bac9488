"""Published results: freezing a force's results into the figures a version keeps, its canonical CSV, and reading
versions back for the pages (a version's own page, a force's trend across its published audits).

A version keeps counts, not rates: every rate, interval and change is worked out from them by `statistics`, the
same way on every page, so a published figure reads the same for as long as the version is kept. The canonical
CSV holds the rounded figures as published, and its SHA-256 lets anyone check a copy against the page.
"""

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.utils.dateparse import parse_date, parse_datetime

from forces.models import Force
from reviews.exchange.cells import escape_formula
from reviews.models import (
    Audit,
    CancellationDecision,
    CrimeRecord,
    Criterion,
    IncorrectReason,
    OffenceCategory,
    PublishedResults,
    Review,
)
from reviews.results.charts import IntervalChart, interval_chart
from reviews.results.selectors import (
    FIGURES,
    CategoryFigures,
    Figures,
    ForceResults,
    NationalComparison,
    NationalRow,
    Scope,
)
from reviews.results.statistics import Change, Share

SCHEMA = 1


def _counts(figures: Figures) -> dict[str, int]:
    return {name: getattr(figures, name) for name in FIGURES}


def _share(share: Share | None) -> list[int] | None:
    return [share.count, share.total] if share else None


def freeze(results: ForceResults) -> dict:
    """The figures of `results` (a signed-off audit's, from `selectors.force_results`) as a version keeps them."""
    audit = results.audit
    return {
        "schema": SCHEMA,
        "force": {"code": results.force.code, "name": results.force.name},
        "audit": {
            "id": audit.pk,
            "name": audit.name,
            "period_start": audit.period_start.isoformat(),
            "period_end": audit.period_end.isoformat(),
            "signed_off_at": audit.signed_off_at.isoformat(),
            "recording_grade": audit.recording_grade,
        },
        "headline": results.headline,
        "categories": [
            {"category": figures.category, **_counts(figures), "national": _share(figures.national)}
            for figures in results.categories
        ],
        "total": _counts(results.total),
        "by_criterion": [
            {"criterion": str(criterion), **_counts(figures)} for criterion, figures in results.by_criterion
        ],
        "by_reason": [{"reason": str(reason), "count": count} for reason, count in results.by_reason],
        "incorrect": [
            {
                "review": review.pk,
                "reference": review.decision.crime_record.reference,
                "category": review.decision.crime_record.offence_category,
                "criterion": review.decision.criterion,
                "reason": review.incorrect_reason,
            }
            for review in results.incorrect_reviews
        ],
    }


CSV_HEADER = [
    "force",
    "audit",
    "period_start",
    "period_end",
    "signed_off",
    "breakdown",
    "group",
    "reviewed",
    "cannot_tell",
    "correct",
    "incorrect",
    "incorrect_rate",
    "incorrect_lower_95",
    "incorrect_upper_95",
    "victims_should_be_told",
    "victims_not_told",
    "victims_no_record",
    "national_incorrect_rate",
]


def _figure_cells(figures: Figures, national: Share | None = None) -> list:
    share = figures.incorrect_share
    return [
        figures.reviewed,
        figures.cannot_tell,
        figures.correct,
        figures.incorrect,
        share.percent if share.exists else "",
        share.lower_percent if share.exists else "",
        share.upper_percent if share.exists else "",
        figures.victims_should,
        figures.victims_not_told,
        figures.victims_no_record,
        national.percent if national and national.exists else "",
    ]


def canonical_csv(frozen: dict) -> str:
    """The published figures as CSV: one row per category, the audit as a whole, each criterion and each reason,
    every row naming its force and audit; UTF-8 with "\\n" line ends, so the same figures always give the same
    bytes and the same SHA-256."""
    results = thaw(frozen)
    audit = frozen["audit"]
    identity = [
        escape_formula(frozen["force"]["name"]),
        escape_formula(audit["name"]),
        audit["period_start"],
        audit["period_end"],
        audit["signed_off_at"][:10],
    ]
    rows = [CSV_HEADER]
    rows += [
        [*identity, "category", figures.category, *_figure_cells(figures, figures.national)]
        for figures in results.categories
    ]
    rows.append([*identity, "all", "all", *_figure_cells(results.total)])
    rows += [
        [*identity, "criterion", str(criterion), *_figure_cells(figures)] for criterion, figures in results.by_criterion
    ]
    rows += [[*identity, "reason", str(reason), "", "", "", count, *[""] * 7] for reason, count in results.by_reason]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class FrozenResults:
    """A version's figures in the shape the force page's include reads (`selectors.ForceResults`), with the
    headline as it was published."""

    headline: str
    categories: list[CategoryFigures]
    total: Figures
    by_criterion: list[tuple[Criterion, Figures]] = field(default_factory=list)
    by_reason: list[tuple[IncorrectReason, int]] = field(default_factory=list)
    incorrect_reviews: list[Review] = field(default_factory=list)
    audit: Audit | None = None
    audits: list[Audit] = field(default_factory=list)
    version: PublishedResults | None = None

    @property
    def earlier_audits(self) -> list[Audit]:
        return [audit for audit in self.audits if audit.pk != self.audit.pk]


def _figures(row: dict) -> Figures:
    return Figures(**{name: row.get(name, 0) for name in FIGURES})


def _incorrect_review(row: dict) -> Review:
    # Unsaved instances carry the published reference, category, criterion and reason to the page as they were.
    record = CrimeRecord(reference=row["reference"], offence_category=row["category"])
    return Review(
        pk=row["review"],
        incorrect_reason=row["reason"],
        decision=CancellationDecision(criterion=row["criterion"], crime_record=record),
    )


def thaw(frozen: dict) -> FrozenResults:
    """The figures a version keeps, as the pages read them."""
    return FrozenResults(
        headline=frozen["headline"],
        categories=[
            CategoryFigures(
                **_figures(row).__dict__,
                category=row["category"],
                national=Share(*row["national"]) if row["national"] else None,
            )
            for row in frozen["categories"]
        ],
        total=_figures(frozen["total"]),
        by_criterion=[(Criterion(row["criterion"]), _figures(row)) for row in frozen["by_criterion"]],
        by_reason=[(IncorrectReason(row["reason"]), row["count"]) for row in frozen["by_reason"]],
        incorrect_reviews=[_incorrect_review(row) for row in frozen["incorrect"]],
    )


def published_version(*, force: Force, audit_id: int, version: int, user) -> PublishedResults | None:
    """The version `version` of the published results of `force`'s audit `audit_id`, if `user` may read it."""
    return (
        PublishedResults.objects.visible_to(user)
        .filter(force=force, audit_id=audit_id, version=version)
        .select_related("force", "published_by")
        .first()
    )


def current_versions(*, user) -> QuerySet[PublishedResults]:
    """The standing version of every published audit `user` may read."""
    return PublishedResults.objects.visible_to(user).current()


@dataclass(frozen=True)
class TrendPoint:
    """One published audit in a category's trend, with the change since the audit before it (None for the
    first)."""

    version: PublishedResults
    share: Share
    change: Change | None

    @property
    def label(self) -> str:
        return self.version.figures["audit"]["name"]

    @property
    def period_end(self) -> date:
        return self.version.period_end


@dataclass
class CategoryTrend:
    category: str
    points: list[TrendPoint]

    @property
    def label(self) -> str:
        return OffenceCategory(self.category).label

    @cached_property
    def chart(self) -> IntervalChart:
        """The category's rate at each published audit, oldest first, drawn like the other interval charts."""
        return interval_chart(
            title=f"{self.label}: incorrect rate at each published audit",
            items=[
                (point.label, point.share, point.change.verdict if point.change else "", None) for point in self.points
            ],
        )


def force_trend(*, force: Force, user) -> list[CategoryTrend]:
    """Every published audit of `force` in date order, per category: its incorrect share and the change since
    the audit before it that judged the category. One query, whatever the number of audits."""
    versions = list(
        current_versions(user=user)
        .filter(force=force)
        .select_related("force")
        .order_by("period_end", "signed_off_at", "pk")
    )
    trends = {}
    for version in versions:
        for row in version.figures["categories"]:
            share = _figures(row).incorrect_share
            if not share.exists:
                continue
            points = trends.setdefault(row["category"], [])
            change = Change(earlier=points[-1].share, later=share) if points else None
            points.append(TrendPoint(version=version, share=share, change=change))
    return [
        CategoryTrend(category=category, points=trends[category])
        for category in OffenceCategory.values
        if category in trends
    ]


def last_published_shares(*, force: Force) -> dict[str, tuple[str, Share]]:
    """For each category, the incorrect share of `force`'s latest published audit that judged it, with that
    audit's name: what planning assumes the next audit will find. One query."""
    shares = {}
    versions = PublishedResults.objects.current().filter(force=force).order_by("-period_end", "-signed_off_at")
    for version in versions.only("figures"):
        for row in version.figures["categories"]:
            share = _figures(row).incorrect_share
            if share.exists and row["category"] not in shares:
                shares[row["category"]] = (version.figures["audit"]["name"], share)
    return shares


# The national comparison from published versions: each force's latest published audit (in a period, when one is
# chosen), read from the frozen figures, never from the live reviews.

LATEST_PUBLISHED_FIRST = ["-period_end", "-signed_off_at", "-pk"]


def latest_published(*, period: tuple[date, date] | None = None) -> QuerySet[PublishedResults]:
    """Each force's latest current published version (latest period, then latest sign-off), as one query;
    `period` keeps only versions whose period ends between its two dates."""
    candidates = PublishedResults.objects.current()
    if period:
        candidates = candidates.filter(period_end__range=period)
    latest = candidates.filter(force=OuterRef("force")).order_by(*LATEST_PUBLISHED_FIRST).values("pk")
    return candidates.filter(pk=Subquery(latest[:1]))


def _frozen_audit(frozen: dict) -> Audit:
    # An unsaved audit carrying the published name, sign-off and grade to the table, as they were published.
    audit = frozen["audit"]
    return Audit(
        pk=audit["id"],
        name=audit["name"],
        period_start=parse_date(audit["period_start"]),
        period_end=parse_date(audit["period_end"]),
        signed_off_at=parse_datetime(audit["signed_off_at"]),
        recording_grade=audit["recording_grade"],
    )


def _pooled(rows: list[dict[str, Figures]], categories: list[str]) -> dict[str, Share]:
    """The incorrect share per category pooled over rows of figures by category (a category appears once any
    row reviewed it), as `selectors.national_comparison` pools the live figures."""
    shares = {}
    for category in categories:
        figures = [row[category] for row in rows if category in row]
        if any(each.reviewed for each in figures):
            shares[category] = Share(sum(each.incorrect for each in figures), sum(each.judged for each in figures))
    return shares


def _by_category(frozen_categories: list[dict]) -> dict[str, Figures]:
    return {row["category"]: _figures(row) for row in frozen_categories}


def published_signature() -> tuple[int, int, int]:
    """What changes whenever a version is published or superseded, in one query: the newest version's id, how
    many versions there are and how many of them stand. The national page keys its cached figures on it."""
    counts = PublishedResults.objects.aggregate(
        last=Max("pk", default=0), versions=Count("pk"), standing=Count("pk", filter=Q(superseded_at__isnull=True))
    )
    return counts["last"], counts["versions"], counts["standing"]


def published_national_comparison(
    *,
    forces: QuerySet[Force],
    categories: list[str] | None = None,
    period: tuple[date, date] | None = None,
) -> NationalComparison:
    """The national comparison (the same rows as `selectors.national_comparison`) read from each force's latest
    published version: the national shares pool all forces' versions, whichever forces are listed. Two queries
    (the forces and the versions), whatever the number of forces, audits or reviews."""
    categories = categories or [str(category) for category in OffenceCategory.audited()]
    forces = list(forces.order_by("name"))
    # Only the parts of the frozen figures the table needs, not the whole force page.
    versions = {
        version["force_id"]: version
        for version in latest_published(period=period).values(
            "force_id",
            frozen_audit=KeyTextTransform("audit", "figures"),
            categories=KeyTextTransform("categories", "figures"),
        )
    }
    figures = {force_id: _by_category(json.loads(version["categories"])) for force_id, version in versions.items()}
    national = _pooled(list(figures.values()), categories)
    rows = []
    for force in forces:
        own = figures.get(force.pk, {})
        by_category = {
            category: CategoryFigures(
                **own.get(category, Figures()).__dict__, category=category, national=national.get(category)
            )
            for category in categories
        }
        victims = Share(
            sum(each.victims_not_told for each in by_category.values()),
            sum(each.victims_should for each in by_category.values()),
        )
        version = versions.get(force.pk)
        audit = _frozen_audit({"audit": json.loads(version["frozen_audit"])}) if version else None
        rows.append(NationalRow(force=force, audit=audit, categories=by_category, victims=victims))
    return NationalComparison(
        scope=Scope(),
        categories=categories,
        rows=rows,
        national={category: national.get(category, Share(0, 0)) for category in categories},
    )


def financial_year_of(day: date) -> int:
    """The financial year (April to March) `day` falls in, by the year it starts."""
    return day.year if day.month >= 4 else day.year - 1


@dataclass(frozen=True)
class PeriodRates:
    year: int
    forces: int
    national: dict[str, Share]

    @property
    def label(self) -> str:
        return f"April {self.year} to March {self.year + 1}"


def national_rates_by_period(*, categories: list[str] | None = None) -> list[PeriodRates]:
    """For every financial year with a published audit, the national incorrect share per category pooled over
    each force's latest published audit whose period ends in that year; latest year first. Two queries: which
    versions are latest in each year, then their categories' figures."""
    categories = categories or [str(category) for category in OffenceCategory.audited()]
    latest: dict[tuple[int, int], int] = {}
    rows = (
        PublishedResults.objects.current().order_by(*LATEST_PUBLISHED_FIRST).values_list("pk", "force_id", "period_end")
    )
    for pk, force_id, period_end in rows:
        latest.setdefault((financial_year_of(period_end), force_id), pk)
    years: dict[int, list[int]] = {}
    for (year, _), pk in latest.items():
        years.setdefault(year, []).append(pk)
    frozen = dict(
        PublishedResults.objects.filter(pk__in=latest.values()).values_list("pk", "figures__categories").order_by()
    )
    return [
        PeriodRates(
            year=year,
            forces=len(pks),
            national=_full(_pooled([_by_category(frozen[pk]) for pk in pks], categories), categories),
        )
        for year, pks in sorted(years.items(), reverse=True)
    ]


def _full(shares: dict[str, Share], categories: list[str]) -> dict[str, Share]:
    return {category: shares.get(category, Share(0, 0)) for category in categories}


def published_force_results(*, force: Force, user, audit_id: int | None = None) -> FrozenResults | None:
    """`force`'s published results as a force contact reads them: the standing version of the audit `audit_id`,
    or of the force's latest published audit, with the force's other published audits. None when `audit_id` has
    no published version `user` may read (the view answers 404); results with `audit` None when the force has
    none at all ("not audited"). One query."""
    versions = list(current_versions(user=user).filter(force=force).order_by(*LATEST_PUBLISHED_FIRST))
    if audit_id is None:
        version = versions[0] if versions else None
    else:
        version = next((candidate for candidate in versions if candidate.audit_id == audit_id), None)
        if version is None:
            return None
    if version is None:
        return FrozenResults(headline="", categories=[], total=Figures())
    results = thaw(version.figures)
    results.audit = _frozen_audit(version.figures)
    results.audits = [_frozen_audit(each.figures) for each in versions]
    results.version = version
    return results
