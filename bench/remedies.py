"""Server time of the actions pages at national scale: the summaries benchmark's national dataset (200,000
decisions, 215 signed-off audits of approved reviews), every audit's actions raised by the sign-off's own service,
about a third of them put right, some waiting for a supervisor, returned or overdue; then `/actions/` (as a
supervisor, who sees every force's, and as a force contact) and a force's results page with its actions summary,
requested repeatedly through Django's test client.

Target: under 300 ms median for each page on PostgreSQL.
"""

import time
from datetime import timedelta

from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from bench.summaries import FORCE, REQUESTS, TARGET_MS, _time, _user, load_national_dataset
from forces.models import Force
from reviews.models import Action, ActionKind, ActionOutcome, ActionStatus, Audit, AuditStatus
from reviews.remedies.services import actions_raise

# Of every ten actions: three put right, one waiting for a supervisor, one returned, two overdue, three open.
STATES = ["put_right"] * 3 + ["waiting", "returned"] + ["overdue"] * 2 + ["open"] * 3
OUTCOMES = {ActionKind.RECONSIDER: ActionOutcome.CRIME_REINSTATED, ActionKind.TELL_VICTIM: ActionOutcome.VICTIM_TOLD}


def _raise_actions(supervisor) -> float:
    started = time.perf_counter()
    for audit in Audit.objects.filter(status=AuditStatus.SIGNED_OFF).order_by("pk"):
        with transaction.atomic():
            actions_raise(audit=audit, by=supervisor)
    return round(time.perf_counter() - started, 1)


def _work_through(contact, supervisor) -> None:
    """Put the actions in their states with one update per state and kind (the states, not the services, are
    what the pages read)."""
    now, today = timezone.now(), timezone.localdate()
    ids = list(Action.objects.order_by("pk").values_list("pk", flat=True))
    by_state: dict[str, list[int]] = {}
    for index, pk in enumerate(ids):
        by_state.setdefault(STATES[index % len(STATES)], []).append(pk)
    recorded = {"outcome_by": contact, "outcome_at": now}
    for kind, outcome in OUTCOMES.items():
        told = {"victim_told_on": today} if outcome == ActionOutcome.VICTIM_TOLD else {}
        of_kind = Action.objects.filter(kind=kind)
        fields = {"outcome": outcome, **recorded, **told}
        of_kind.filter(pk__in=by_state["put_right"]).update(
            status=ActionStatus.PUT_RIGHT, accepted_by=supervisor, accepted_at=now, **fields
        )
        of_kind.filter(pk__in=by_state["waiting"]).update(status=ActionStatus.OUTCOME_RECORDED, **fields)
        of_kind.filter(pk__in=by_state["returned"]).update(
            status=ActionStatus.RETURNED, return_comment="Attach the updated record.", **fields
        )
    Action.objects.filter(pk__in=by_state["overdue"]).update(due_on=today - timedelta(days=5))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reviews_action")


def run() -> dict:
    dataset = load_national_dataset()
    supervisor = dataset.supervisor
    contact = _user("contact", Role.FORCE_CONTACT)
    contact.force = Force.objects.get(code=FORCE)
    contact.save()
    raise_seconds = _raise_actions(supervisor)
    _work_through(contact, supervisor)

    as_supervisor, as_contact = Client(HTTP_HOST="localhost"), Client(HTTP_HOST="localhost")
    as_supervisor.force_login(supervisor)
    as_contact.force_login(contact)
    actions, force_page = reverse("action_list"), reverse("force_results", args=[FORCE])
    pages = [
        ("actions list, supervisor", as_supervisor, actions, {}),
        ("actions list, overdue, by due date", as_supervisor, actions, {"overdue": "yes", "sort": "-due_on"}),
        ("actions list, deep page", as_supervisor, actions, {"page": "40"}),
        ("actions list, force contact", as_contact, actions, {}),
        ("force page, supervisor", as_supervisor, force_page, {}),
        ("force page, force contact", as_contact, force_page, {}),
    ]
    return {
        "signed_off_audits": Audit.objects.filter(status=AuditStatus.SIGNED_OFF).count(),
        "approved_reviews": dataset.approved_reviews,
        "actions": Action.objects.count(),
        "actions_put_right": Action.objects.filter(status=ActionStatus.PUT_RIGHT).count(),
        "actions_overdue": Action.objects.overdue(timezone.localdate()).count(),
        "force_actions": Action.objects.filter(audit__force__code=FORCE).count(),
        "raise_seconds": raise_seconds,
        "requests_per_page": REQUESTS,
        "target_median_ms": TARGET_MS,
        "pages": {name: _time(client, url, params) for name, client, url, params in pages},
    }


def report(figures: dict) -> str:
    lines = [
        "Actions pages at national scale",
        f"  {figures['signed_off_audits']} signed-off audits, {figures['approved_reviews']:,} approved reviews, "
        f"{figures['actions']:,} actions ({figures['actions_put_right']:,} put right, {figures['actions_overdue']:,} "
        f"overdue; raised in {figures['raise_seconds']} s)",
        f"  {figures['requests_per_page']} requests per page; target under {figures['target_median_ms']} ms median",
        f"  {'page':<36} {'median ms':>10} {'p95 ms':>10} {'queries':>8}  verdict",
    ]
    for name, page in figures["pages"].items():
        verdict = "within target" if page["median_ms"] < figures["target_median_ms"] else "OVER TARGET"
        lines.append(f"  {name:<36} {page['median_ms']:>10} {page['p95_ms']:>10} {page['queries']:>8}  {verdict}")
    return "\n".join(lines)
