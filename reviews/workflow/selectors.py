"""The audit workflow's reads: audits and reviews a person may see, progress, history."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from reviews.models import (
    Audit,
    Review,
    ReviewKind,
    ReviewStatus,
)
from reviews.permissions import can_review, can_supervise


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


# The queue's order: by audit, then category, then crime reference. Not the order of the draw: known-answer items
# have no place in it, and would stand apart at one end of each category.
QUEUE_ORDER = (
    "audit__period_end",
    "audit__pk",
    "decision__crime_record__offence_category",
    "decision__crime_record__reference",
    "pk",
)


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
    if can_supervise(user):
        return reviews
    if can_review(user):
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
