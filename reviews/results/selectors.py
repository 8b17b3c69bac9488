"""Reads for the summary pages: a force's results per audit and category, and the national comparison.

What counts: primary reviews only (a second review checks the first and would count a decision twice), approved,
in signed-off audits. A supervisor may include work in progress: then submitted and approved reviews of audits
in progress count too, and every page and export says so. Every figure is counted in SQL with
`Count(filter=Q(...))`, so each page runs the same handful of queries whatever the number of decisions.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery

from forces.models import Force
from reviews.models import (
    Audit,
    AuditStatus,
    Criterion,
    IncorrectReason,
    OffenceCategory,
    RecordingGrade,
    Review,
    ReviewStatus,
    Verdict,
    VictimInformed,
)
from reviews.results.statistics import Share, compared_with, headline

CATEGORY = "decision__crime_record__offence_category"
# Latest period first; among audits of the same period, the latest signed off, then audits still in progress.
LATEST_FIRST = ["-period_end", F("signed_off_at").desc(nulls_last=True), "-pk"]

# How each category reads before "records" in a sentence: "1 in 10 other sexual offence records".
CATEGORY_NOUNS = {
    OffenceCategory.RAPE: "rape",
    OffenceCategory.OTHER_SEXUAL: "other sexual offence",
    OffenceCategory.ROBBERY: "robbery",
    OffenceCategory.VIOLENCE: "violence against the person",
    OffenceCategory.OTHER: "other",
}


# Why a figure is missing, in the words every page, export and open data file uses: a missing figure is never 0.
NOT_AUDITED = "not audited"  # the force has no (published) audit
NOT_SAMPLED = "not sampled"  # the audit reviewed no decision in the category
NONE_JUDGED = "none judged"  # reviewed, but every verdict was "cannot tell": there is no rate
NONE_TO_TELL = "none to tell"  # no victim of a decision reviewed needed to be told
NO_ACTIONS = "no actions"  # the force has no action, withdrawn ones aside


def category_status(figures: "Figures | None", *, audited: bool = True) -> str:
    """Why a category's figures of an audit are missing, or "" when there is a rate."""
    if not audited:
        return NOT_AUDITED
    if figures is None or not figures.reviewed:
        return NOT_SAMPLED
    return "" if figures.judged else NONE_JUDGED


WORK_IN_PROGRESS_LABEL = "Includes work in progress"
SIGNED_OFF_LABEL = "Signed-off audits only"


@dataclass(frozen=True)
class Scope:
    """Which audits and reviews the figures count."""

    include_in_progress: bool = False

    @property
    def audit_statuses(self) -> list[str]:
        if self.include_in_progress:
            return [AuditStatus.SIGNED_OFF, AuditStatus.IN_PROGRESS]
        return [AuditStatus.SIGNED_OFF]

    @property
    def label(self) -> str:
        return WORK_IN_PROGRESS_LABEL if self.include_in_progress else SIGNED_OFF_LABEL

    def reviews(self) -> QuerySet[Review]:
        """The verdicts these figures count, in any audit: one per decision per audit (see `counted_verdicts`)."""
        counted = Q(audit__status=AuditStatus.SIGNED_OFF, status=ReviewStatus.APPROVED)
        if self.include_in_progress:
            counted |= Q(audit__status=AuditStatus.IN_PROGRESS, status__in=ReviewStatus.finished())
        return Review.objects.filter(counted).counted_verdicts()


NOT_TOLD = [VictimInformed.NO, VictimInformed.NO_RECORD]
# One set of counts for every grouping, each a filtered COUNT in the same SQL pass.
FIGURES = {
    "reviewed": Count("pk"),
    "correct": Count("pk", filter=Q(decision_correct=Verdict.YES)),
    "incorrect": Count("pk", filter=Q(decision_correct=Verdict.NO)),
    "cannot_tell": Count("pk", filter=Q(decision_correct=Verdict.CANNOT_TELL)),
    "victims_should": Count("pk", filter=Q(victim_should_be_informed=True)),
    "victims_not_told": Count("pk", filter=Q(victim_should_be_informed=True, victim_informed__in=NOT_TOLD)),
    "victims_no_record": Count(
        "pk", filter=Q(victim_should_be_informed=True, victim_informed=VictimInformed.NO_RECORD)
    ),
}


def figures_by_group(groups: dict[str, Q]) -> dict[str, Count]:
    """Every one of FIGURES for each group of reviews, named `<group><figure>`: one SQL pass counts them all,
    whichever way the groups cut the reviews (categories, criteria, the whole audit)."""
    return {
        f"{group}{name}": Count("pk", filter=(condition & count.filter if count.filter else condition) or None)
        for group, condition in groups.items()
        for name, count in FIGURES.items()
    }


def _category_groups(categories) -> dict[str, Q]:
    return {f"{category}_": Q(**{CATEGORY: category}) for category in categories}


@dataclass(frozen=True)
class Figures:
    """The counts of one group of reviews (a category, a criterion, a whole audit).

    Rates are of the decisions the auditors could judge (correct or incorrect); "cannot tell" verdicts are
    counted on their own and are in `reviewed`, never silently dropped.
    """

    reviewed: int = 0
    correct: int = 0
    incorrect: int = 0
    cannot_tell: int = 0
    victims_should: int = 0
    victims_not_told: int = 0
    victims_no_record: int = 0

    @classmethod
    def from_row(cls, row: dict, group: str = "") -> "Figures":
        """The figures of `group` in a row that `figures_by_group` counted (or of the whole row, un-prefixed)."""
        return cls(**{name: row.get(f"{group}{name}") or 0 for name in FIGURES})

    @property
    def judged(self) -> int:
        return self.correct + self.incorrect

    @property
    def incorrect_share(self) -> Share:
        return Share(self.incorrect, self.judged)

    @property
    def correct_share(self) -> Share:
        return Share(self.correct, self.judged)

    @property
    def victims(self) -> Share:
        """Victims not told, of those who should have been ("no auditable record" counts as not told)."""
        return Share(self.victims_not_told, self.victims_should)

    @property
    def victims_without_record(self) -> Share:
        return Share(self.victims_no_record, self.victims_should)

    @property
    def sort_key(self) -> float:
        """The incorrect share for sorting; -1 when nothing was judged, which the tables put last."""
        share = self.incorrect_share
        return share.fraction if share.exists else -1.0


@dataclass(frozen=True)
class CategoryFigures(Figures):
    category: str = ""
    national: Share | None = None

    @property
    def label(self) -> str:
        return OffenceCategory(self.category).label

    @property
    def noun(self) -> str:
        return CATEGORY_NOUNS[OffenceCategory(self.category)]

    @property
    def compared_with_national(self) -> str:
        return compared_with(self.incorrect_share, self.national) if self.national else ""


def _national_shares(*, scope: Scope, period: tuple[date, date] | None = None) -> dict[str, Share]:
    """The national incorrect share per category, pooled over every force's latest counted audit."""
    rows = (
        scope.reviews()
        .filter(audit__in=latest_audits(scope=scope, period=period))
        .values(category=F(CATEGORY))
        .annotate(correct=FIGURES["correct"], incorrect=FIGURES["incorrect"])
        .order_by()
    )
    return {row["category"]: Figures.from_row(row).incorrect_share for row in rows}


def _pooled_shares(rows, categories: list[str]) -> dict[str, Share]:
    """The incorrect share per category pooled over rows that `figures_by_group` counted by category, as
    `_national_shares` counts it: a category appears once any of its reviews does."""
    rows = list(rows)
    shares = {}
    for category in categories:
        figures = [Figures.from_row(row, f"{category}_") for row in rows]
        if any(figure.reviewed for figure in figures):
            incorrect, judged = sum(figure.incorrect for figure in figures), sum(figure.judged for figure in figures)
            shares[category] = Share(incorrect, judged)
    return shares


def latest_audits(*, scope: Scope, period: tuple[date, date] | None = None) -> QuerySet[Audit]:
    """Each force's latest counted audit (latest period first, then latest sign-off), one per force, as one
    SQL query. `period` keeps only audits whose period ends between its two dates."""
    candidates = Audit.objects.filter(status__in=scope.audit_statuses)
    if period:
        candidates = candidates.filter(period_end__range=period)
    latest = candidates.filter(force=OuterRef("force")).order_by(*LATEST_FIRST).values("pk")
    return candidates.filter(pk=Subquery(latest[:1]))


@dataclass
class ForceResults:
    """One force's results for one audit."""

    force: Force
    scope: Scope
    audits: list[Audit]
    audit: Audit | None = None
    categories: list[CategoryFigures] = field(default_factory=list)
    total: Figures = field(default_factory=Figures)
    by_criterion: list[tuple[Criterion, Figures]] = field(default_factory=list)
    by_reason: list[tuple[IncorrectReason, int]] = field(default_factory=list)
    incorrect_reviews: list[Review] = field(default_factory=list)

    @property
    def headline(self) -> str:
        return headline(
            force_name=self.force.name,
            incorrect_by_category=[(figures.noun, figures.incorrect_share) for figures in self.categories],
            victims=self.total.victims,
        )

    @property
    def earlier_audits(self) -> list[Audit]:
        return [audit for audit in self.audits if audit != self.audit]


def force_audits(*, force: Force, user, scope: Scope) -> list[Audit]:
    """The audits of `force` that `user` may read in `scope`, latest first, with their categories."""
    return list(
        Audit.objects.visible_to(user)
        .filter(force=force, status__in=scope.audit_statuses)
        .prefetch_related("categories")
        .order_by(*LATEST_FIRST)
    )


def force_results(*, force: Force, user, scope: Scope, audit_id: int | None = None) -> ForceResults | None:
    """`force`'s results for the audit `audit_id`, or for its latest counted audit when `audit_id` is None.

    Returns None when `audit_id` is not one of the force's audits that `user` may read in `scope` (the view
    answers 404). A force with no such audit gets results with `audit` None: "not audited", never 0%.
    """
    audits = force_audits(force=force, user=user, scope=scope)
    if audit_id is None:
        audit = audits[0] if audits else None
    else:
        audit = next((candidate for candidate in audits if candidate.pk == audit_id), None)
        if audit is None:
            return None
    results = ForceResults(force=force, scope=scope, audits=audits, audit=audit)
    if audit is None:
        return results

    reviews = scope.reviews().filter(audit=audit)
    # Categories, criteria, reasons and the whole audit, all counted in one pass over the audit's reviews.
    groups = {
        "total_": Q(),
        **_category_groups(OffenceCategory.values),
        **{f"{criterion}_": Q(decision__criterion=criterion) for criterion in Criterion.values},
    }
    reasons = {
        f"reason_{reason}": Count("pk", filter=Q(decision_correct=Verdict.NO, incorrect_reason=reason))
        for reason in IncorrectReason.values
    }
    counted = reviews.aggregate(**figures_by_group(groups), **reasons)
    national = _national_shares(scope=scope)
    sampled = {audit_category.offence_category for audit_category in audit.categories.all()}
    results.categories = [
        CategoryFigures(
            **Figures.from_row(counted, f"{category}_").__dict__,
            category=category,
            national=national.get(category),
        )
        for category in OffenceCategory.values
        if category in sampled or counted[f"{category}_reviewed"]
    ]
    results.total = Figures.from_row(counted, "total_")
    results.by_criterion = [(criterion, Figures.from_row(counted, f"{criterion}_")) for criterion in Criterion]
    results.by_reason = [(reason, counted[f"reason_{reason}"]) for reason in IncorrectReason]
    results.incorrect_reviews = list(
        reviews.filter(decision_correct=Verdict.NO)
        .select_related("decision__crime_record")
        .order_by(CATEGORY, "decision__crime_record__reference")
    )
    return results


@dataclass
class NationalRow:
    force: Force
    audit: Audit | None
    categories: dict[str, CategoryFigures]
    victims: Share
    # Putting findings right (reviews.remedies): the share of the force's actions put right, and how many are
    # overdue; None for a force without actions.
    actions: Share | None = None
    actions_overdue: int = 0

    @property
    def audited(self) -> bool:
        return self.audit is not None

    @property
    def grade(self) -> str:
        return RecordingGrade(self.audit.recording_grade).label if self.audit and self.audit.recording_grade else ""

    @property
    def signed_off_sort(self) -> float:
        return self.audit.signed_off_at.timestamp() if self.audit and self.audit.signed_off_at else -1.0

    @property
    def victims_sort(self) -> float:
        return self.victims.fraction if self.victims.exists else -1.0

    @property
    def actions_sort(self) -> float:
        return self.actions.fraction if self.actions else -1.0

    def __getitem__(self, key: str):
        # django-tables2 resolves accessors such as "rape.sort_key" through item lookup first.
        return self.categories[key]


@dataclass
class NationalComparison:
    scope: Scope
    categories: list[str]
    rows: list[NationalRow]
    national: dict[str, Share]

    def chart_rows(self, category: str) -> list[NationalRow]:
        """The forces audited in `category`, highest incorrect share first."""
        audited = [row for row in self.rows if row.categories[category].judged]
        return sorted(audited, key=lambda row: (-row.categories[category].sort_key, row.force.name))


def national_comparison(
    *,
    forces: QuerySet[Force],
    scope: Scope,
    categories: list[str] | None = None,
    period: tuple[date, date] | None = None,
) -> NationalComparison:
    """A row for each force in `forces` with its latest counted audit's figures per category (only
    `categories` when given), and the national share per category pooled over all 43 forces' latest audits,
    whatever `forces` holds. A force without such an audit has `audit` None and no figures."""
    categories = categories or [str(category) for category in OffenceCategory.audited()]
    every_force = not forces.query.has_filters()
    forces = list(forces.order_by("name"))
    latest = latest_audits(scope=scope, period=period)
    audits = {audit.force_id: audit for audit in latest.filter(force__in=forces).select_related("force")}
    reviews = scope.reviews().filter(audit__in=latest, audit__force__in=forces, **{f"{CATEGORY}__in": categories})
    # A row per force: its figures in each category and over all of them, counted in one pass.
    counted = {
        row["force_id"]: row
        for row in reviews.values(force_id=F("audit__force_id"))
        .annotate(**figures_by_group({"total_": Q(), **_category_groups(categories)}))
        .order_by()
    }
    if every_force:
        # Every force is in the table: the national shares are the sums of its rows, without counting again.
        national = _pooled_shares(counted.values(), categories)
    else:
        national = _national_shares(scope=scope, period=period)
    rows = []
    for force in forces:
        row = counted.get(force.pk, {})
        figures = {
            category: CategoryFigures(
                **Figures.from_row(row, f"{category}_").__dict__,
                category=category,
                national=national.get(category),
            )
            for category in categories
        }
        victims = Figures.from_row(row, "total_").victims
        rows.append(NationalRow(force=force, audit=audits.get(force.pk), categories=figures, victims=victims))
    return NationalComparison(
        scope=scope,
        categories=categories,
        rows=rows,
        national={category: national.get(category, Share(0, 0)) for category in categories},
    )
