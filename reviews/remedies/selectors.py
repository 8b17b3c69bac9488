"""Reads about actions: the findings of an audit that call for one, the lists a person may see, the summaries
per audit and kind for the force page, the share put right per force for the national table, and who is due a
reminder. Every count is a filtered COUNT in SQL."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from accounts.roles import Role
from reviews.models import Action, ActionKind, ActionStatus, Audit, Review, ReviewStatus, Verdict
from reviews.results.selectors import NOT_TOLD
from reviews.results.statistics import Share


def audit_findings(*, audit: Audit) -> dict[str, set[int]]:
    """The decisions of a signed-off audit that call for each kind of action, by the verdicts its results count
    (a settled disagreement's final verdict, not the two reviews it settled)."""
    verdicts = Review.objects.filter(audit=audit, status=ReviewStatus.APPROVED).counted_verdicts()
    incorrect = verdicts.filter(decision_correct=Verdict.NO)
    not_told = verdicts.filter(victim_should_be_informed=True, victim_informed__in=NOT_TOLD)
    return {
        ActionKind.RECONSIDER: set(incorrect.values_list("decision_id", flat=True)),
        ActionKind.TELL_VICTIM: set(not_told.values_list("decision_id", flat=True)),
    }


def action_list(*, user) -> QuerySet[Action]:
    """The actions `user` may see, with what their lists show. The decisions and crime records of a page are read
    in two queries of their own (prefetched) rather than joined: joined, PostgreSQL reads the whole decisions table
    to sort the actions before it can take a page of them."""
    return Action.objects.visible_to(user).select_related("audit__force").prefetch_related("decision__crime_record")


def audit_actions(*, audit: Audit | None) -> list[Action]:
    """The actions raised from `audit` (none for no audit), by kind and crime reference, for its report."""
    if audit is None:
        return []
    return list(
        Action.objects.filter(audit=audit)
        .select_related("decision__crime_record")
        .order_by("kind", "decision__crime_record__reference")
    )


def _counts(today: date) -> dict[str, Count]:
    current = ~Q(status=ActionStatus.WITHDRAWN)
    return {
        "total": Count("pk", filter=current),
        "put_right": Count("pk", filter=Q(status=ActionStatus.PUT_RIGHT)),
        "overdue": Count("pk", filter=Q(status__in=ActionStatus.with_the_force(), due_on__lt=today)),
        "withdrawn": Count("pk", filter=Q(status=ActionStatus.WITHDRAWN)),
    }


@dataclass(frozen=True)
class ActionSummary:
    """How one audit's actions of one kind stand: "6 actions: 2 put right, 1 overdue, 3 open"."""

    kind: str
    total: int = 0
    put_right: int = 0
    overdue: int = 0
    withdrawn: int = 0

    @property
    def open(self) -> int:
        return self.total - self.put_right - self.overdue

    @property
    def kind_label(self) -> str:
        return ActionKind(self.kind).label


def action_summaries(*, audits, today: date) -> dict[int, list[ActionSummary]]:
    """For each audit in `audits` (ids or audits), a summary of its actions per kind, in one query."""
    audit_ids = [getattr(audit, "pk", audit) for audit in audits]
    rows = (
        Action.objects.filter(audit_id__in=audit_ids)
        .values("audit_id", "kind")
        .annotate(**_counts(today))
        .order_by("audit_id", "kind")
    )
    summaries: dict[int, list[ActionSummary]] = {audit_id: [] for audit_id in audit_ids}
    for row in rows:
        audit_id = row.pop("audit_id")
        summaries[audit_id].append(ActionSummary(**row))
    return summaries


def put_right_shares(*, forces, today: date, audits=None) -> dict[int, tuple[Share, int]]:
    """For each force in `forces`, the share of its actions (withdrawn ones aside) put right, and how many are
    overdue, over all its audits (or those of the queryset `audits`), in one query. A force without actions is
    absent."""
    actions = Action.objects.filter(audit__force__in=forces)
    if audits is not None:
        actions = actions.filter(audit__in=audits)
    rows = actions.values("audit__force_id").annotate(**_counts(today)).order_by()
    return {
        row["audit__force_id"]: (Share(row["put_right"], row["total"]), row["overdue"]) for row in rows if row["total"]
    }


def _reminder_actions() -> QuerySet[Action]:
    return Action.objects.select_related("audit__force", "decision__crime_record").order_by("due_on", "pk")


def _holders(role: str) -> QuerySet[User]:
    return User.objects.filter(is_active=True, groups__name=role).exclude(email="").distinct().order_by("pk")


@dataclass
class Reminder:
    """What one person is reminded of: their force's overdue actions, and the outcomes waiting for them."""

    overdue: list[Action]
    waiting: list[Action]


def reminders_due(*, today: date) -> dict[User, Reminder]:
    """Who is due a reminder today: each force contact with their force's overdue actions, and each supervisor
    with the outcomes waiting for acceptance (less any they recorded themselves). Nobody is reminded of nothing."""
    by_force: dict[int, list[Action]] = {}
    for action in _reminder_actions().overdue(today):
        by_force.setdefault(action.audit.force_id, []).append(action)
    waiting = list(_reminder_actions().filter(status=ActionStatus.OUTCOME_RECORDED))
    due: dict[User, Reminder] = {}
    for contact in _holders(Role.FORCE_CONTACT).filter(force_id__in=by_force):
        due[contact] = Reminder(overdue=by_force[contact.force_id], waiting=[])
    for supervisor in _holders(Role.SUPERVISOR) if waiting else []:
        theirs = [action for action in waiting if action.outcome_by_id != supervisor.pk]
        if theirs:
            due.setdefault(supervisor, Reminder(overdue=[], waiting=[])).waiting = theirs
    return due
