from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from reviews import qa
from reviews.agreement import Agreement, agreement_by_group, agreement_from_counts, auditor_pair
from reviews.models import (
    Audit,
    Disagreement,
    KnownAnswerItem,
    OffenceCategory,
    Review,
    ReviewKind,
    ReviewStatus,
    Verdict,
    VictimInformed,
)
from reviews.qa import Accuracy


def audit_list(*, user) -> QuerySet[Audit]:
    """Audits `user` may see, newest period first, each with its force and review progress counted in SQL:
    `primary_reviews` sampled items and `finished_reviews` of them submitted or approved."""
    primary = Q(reviews__kind=ReviewKind.PRIMARY)
    return (
        Audit.objects.visible_to(user)
        .select_related("force")
        .annotate(
            primary_reviews=Count("reviews", filter=primary),
            finished_reviews=Count("reviews", filter=primary & Q(reviews__status__in=ReviewStatus.finished())),
        )
        .order_by("-period_end", "force__name", "name")
    )


def auditors() -> QuerySet[User]:
    """Active people with the auditor role, by name: whom a supervisor can assign reviews to."""
    return User.objects.filter(is_active=True, groups__name=Role.AUDITOR).order_by("first_name", "last_name", "pk")


def audit_progress_by_auditor(*, audit: Audit) -> list[dict]:
    """One row per auditor with reviews in `audit` (and one with `auditor` None for unassigned ones), with
    `total` and counts per status, counted in SQL. Second reviews count as their auditor's work; final
    verdicts are the supervisor's, not an auditor's."""
    rows = (
        Review.objects.for_audit(audit)
        .filter(kind__in=ReviewKind.blind_pair())
        .values("auditor", "auditor__first_name", "auditor__last_name", "auditor__username")
        .annotate(
            total=Count("pk"),
            to_do=Count("pk", filter=Q(status=ReviewStatus.TO_DO)),
            draft=Count("pk", filter=Q(status=ReviewStatus.DRAFT)),
            submitted=Count("pk", filter=Q(status=ReviewStatus.SUBMITTED)),
            approved=Count("pk", filter=Q(status=ReviewStatus.APPROVED)),
            returned=Count("pk", filter=Q(status=ReviewStatus.DRAFT) & ~Q(return_comment="")),
        )
        .order_by("auditor__first_name", "auditor__last_name", "auditor")
    )
    result = []
    for row in rows:
        name = f"{row['auditor__first_name']} {row['auditor__last_name']}".strip() or row["auditor__username"]
        result.append({**row, "name": name if row["auditor"] else None, "done": row["submitted"] + row["approved"]})
    return result


def audit_review_counts(*, audit: Audit) -> dict:
    """The audit's primary reviews counted by status in one query: `total`, `unassigned`, `submitted`,
    `approved`."""
    return (
        Review.objects.for_audit(audit)
        .filter(kind=ReviewKind.PRIMARY)
        .aggregate(
            total=Count("pk"),
            unassigned=Count("pk", filter=Q(auditor__isnull=True)),
            submitted=Count("pk", filter=Q(status=ReviewStatus.SUBMITTED)),
            approved=Count("pk", filter=Q(status=ReviewStatus.APPROVED)),
        )
    )


# The queue's order: by audit, then category, then the order the sample was drawn in.
QUEUE_ORDER = ("audit__period_end", "audit__pk", "decision__crime_record__offence_category", "sample_position", "pk")


def review_queue(*, user) -> QuerySet[Review]:
    """The reviews assigned to `user` in audits they may see, in queue order, with what the queue shows."""
    return (
        Review.objects.visible_to(user)
        .for_auditor(user)
        .exclude(kind=ReviewKind.FINAL)
        .select_related("audit__force", "decision__crime_record")
        .order_by(*QUEUE_ORDER)
    )


def review_progress(queryset: QuerySet[Review]) -> dict:
    """`done` (submitted or approved) and `total` of the reviews in `queryset`, in one query."""
    return queryset.order_by().aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(status__in=ReviewStatus.finished()))
    )


def reviews_for_page(*, user) -> QuerySet[Review]:
    """Reviews `user` may open: any review of a visible audit for a supervisor, only their own for an auditor."""
    reviews = Review.objects.visible_to(user).select_related(
        "audit__force", "auditor", "decision__crime_record__force", "decision__receiving_force"
    )
    if user.is_superuser or Role.SUPERVISOR in user.roles:
        return reviews
    if Role.AUDITOR in user.roles:
        return reviews.for_auditor(user)
    return reviews.none()


def next_unfinished_review(*, review: Review, user) -> Review | None:
    """The auditor's next review in the same audit still to do or in draft, after `review` in queue order
    (wrapping round to the first), or None when all are done."""
    ids = list(
        Review.objects.for_audit(review.audit_id)
        .for_auditor(user)
        .filter(Q(status__in=[ReviewStatus.TO_DO, ReviewStatus.DRAFT]) | Q(pk=review.pk))
        .order_by(*QUEUE_ORDER)
        .values_list("pk", flat=True)
    )
    if review.pk in ids:
        position = ids.index(review.pk)
        ids = ids[position + 1 :] + ids[:position]
    return Review(pk=ids[0]) if ids else None


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    what: str
    reason: str
    changes: list[tuple[str, str, str]]


def _shown(model_field, value, users: dict) -> str:
    if value is None or value == "":
        return "(none)"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if model_field.is_relation and model_field.related_model is users.get("model"):
        return str(users.get(value, value))
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def history_of(instance, *, hidden: tuple[str, ...] = ("version",)) -> list[HistoryEntry]:
    """Every recorded change to `instance`, oldest first: who made it, when, the reason where one was
    given, and each field's value before and after. Two queries, whatever the length of the history."""
    records = list(instance.history.select_related("history_user").order_by("history_date", "history_id"))
    model = type(instance)
    user_ids = set()
    for record in records:
        for model_field in model._meta.concrete_fields:
            if model_field.is_relation and model_field.related_model is User:
                user_ids.add(getattr(record, model_field.attname))
    users = {"model": User, **{user.pk: user for user in User.objects.filter(pk__in=user_ids - {None})}}
    entries = []
    previous = None
    for record in records:
        changes = []
        if previous is not None:
            delta = record.diff_against(previous, foreign_keys_are_objs=False)
            for change in delta.changes:
                if change.field in hidden:
                    continue
                model_field = model._meta.get_field(change.field)
                changes.append(
                    (
                        str(model_field.verbose_name).capitalize(),
                        _shown(model_field, change.old, users),
                        _shown(model_field, change.new, users),
                    )
                )
        what = {"+": "Created", "~": "Changed", "-": "Deleted"}[record.history_type]
        who = str(record.history_user) if record.history_user else "The system"
        entries.append(HistoryEntry(record.history_date, who, what, record.history_change_reason or "", changes))
        previous = record
    return entries


def disagreement_list(*, user) -> QuerySet[Disagreement]:
    """Disagreements the supervisor `user` may see, unresolved first, with both reviews and their auditors."""
    return (
        Disagreement.objects.visible_to(user)
        .select_related(
            "audit__force",
            "decision__crime_record",
            "primary_review__auditor",
            "second_review__auditor",
            "final_review",
            "resolved_by",
        )
        .order_by(F("resolved_at").desc(nulls_first=True), "audit__name", "decision__crime_record__reference")
    )


def _person(first_name: str, last_name: str, username: str) -> str:
    return f"{first_name} {last_name}".strip() or username


@dataclass
class AuditAgreement:
    """Agreement on one question between primary and second reviews, both finished."""

    question: str
    overall: Agreement
    by_category: list[tuple[str, Agreement]]
    by_pair: list[tuple[str, Agreement]]


# The questions agreement is measured on: (answer field, the question, its whole answer scale).
AGREEMENT_QUESTIONS = (
    ("decision_correct", "Was the decision correct?", Verdict.values),
    ("victim_informed", "Was the victim informed?", VictimInformed.values),
)


def audit_agreement(*, audit: Audit) -> list[AuditAgreement]:
    """For each of `AGREEMENT_QUESTIONS`, percentage agreement, Cohen's kappa and Gwet's AC1 for the audit as
    a whole, per offence category and per pair of auditors, over the decisions both reviews answered. The
    answer pairs are counted in SQL (one query per question, whatever the audit's size), plus one query for
    the auditors' names."""
    finished = Review.objects.filter(audit=audit, kind=ReviewKind.SECOND, status__in=ReviewStatus.finished()).filter(
        primary_review__status__in=ReviewStatus.finished()
    )
    counted = []
    for field_name, question, scale in AGREEMENT_QUESTIONS:
        rows = list(
            finished.exclude(**{field_name: ""})
            .exclude(**{f"primary_review__{field_name}": ""})
            .values_list(
                "decision__crime_record__offence_category",
                "primary_review__auditor",
                "auditor",
                f"primary_review__{field_name}",
                field_name,
            )
            .annotate(n=Count("pk"))
            .order_by("decision__crime_record__offence_category", "primary_review__auditor", "auditor")
        )
        counted.append((question, scale, rows))
    ids = {person for _, _, rows in counted for row in rows for person in row[1:3]}
    names = (
        {
            row[0]: _person(*row[1:])
            for row in User.objects.filter(pk__in=ids).values_list("pk", "first_name", "last_name", "username")
        }
        if ids
        else {}
    )
    labels = dict(OffenceCategory.choices)
    results = []
    for question, scale, rows in counted:
        overall = agreement_by_group(((None, a, b, n) for _, _, _, a, b, n in rows), categories=scale)
        by_category = agreement_by_group(((category, a, b, n) for category, _, _, a, b, n in rows), categories=scale)
        by_pair = agreement_by_group(
            ((auditor_pair(first, second), a, b, n) for _, first, second, a, b, n in rows), categories=scale
        )
        results.append(
            AuditAgreement(
                question=question,
                overall=overall.get(None) or agreement_from_counts({}, categories=scale),
                by_category=[(labels.get(category, category), result) for category, result in by_category.items()],
                by_pair=sorted(
                    (" and ".join(sorted(names.get(person, "?") for person in pair)), result)
                    for pair, result in by_pair.items()
                ),
            )
        )
    return results


def known_answer_accuracy_by_auditor(*, audit: Audit) -> list[tuple[str, Accuracy]]:
    """Each auditor's accuracy on the audit's known-answer items (finished reviews only), by name; the
    answers are counted in SQL."""
    settled = KnownAnswerItem.objects.filter(audit_id=OuterRef("audit_id"), decision_id=OuterRef("decision_id"))
    rows = (
        Review.objects.filter(audit=audit, kind__in=ReviewKind.blind_pair(), status__in=ReviewStatus.finished())
        # Known-answer items are few: narrow to them first, so the settled verdict is looked up only for theirs.
        .filter(decision__in=audit.known_answers.values("decision"))
        .annotate(settled=Subquery(settled.values("decision_correct")[:1]))
        .filter(settled__isnull=False)
        .values_list("auditor__first_name", "auditor__last_name", "auditor__username", "decision_correct", "settled")
        .annotate(n=Count("pk"))
        .order_by("auditor__first_name", "auditor__last_name", "auditor__username")
    )
    accuracy = qa.known_answer_accuracy_by_auditor(
        (_person(first, last, username), given, answer, n) for first, last, username, given, answer, n in rows
    )
    return list(accuracy.items())


def unresolved_disagreements(*, audit: Audit) -> QuerySet[Disagreement]:
    """The audit's disagreements still waiting for a final verdict, with what their links show."""
    return (
        audit.disagreements.unresolved()
        .select_related("decision__crime_record")
        .order_by("decision__crime_record__reference")
    )


def audit_quality(*, audit: Audit) -> dict:
    """What the audit page shows supervisors about quality assurance: second reviews and disagreements
    counted in one query each, agreement figures and known-answer accuracy."""
    second = audit.reviews.filter(kind=ReviewKind.SECOND).aggregate(
        total=Count("pk"),
        finished=Count("pk", filter=Q(status__in=ReviewStatus.finished())),
        unassigned=Count("pk", filter=Q(auditor__isnull=True)),
    )
    disagreements = audit.disagreements.aggregate(
        total=Count("pk"), unresolved=Count("pk", filter=Q(resolved_at__isnull=True))
    )
    return {
        "second_reviews": second,
        "disagreements": disagreements,
        "agreement": audit_agreement(audit=audit),
        "accuracy": known_answer_accuracy_by_auditor(audit=audit),
        "known_answers": audit.known_answers.count(),
    }


def disagreement_of(*, review: Review) -> Disagreement | None:
    """The disagreement `review` is part of (as the primary or the second review), or None."""
    if review.kind not in ReviewKind.blind_pair():
        return None
    return Disagreement.objects.filter(Q(primary_review=review) | Q(second_review=review)).first()
