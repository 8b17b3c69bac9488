"""Writes to actions: raising them when an audit is signed off (and withdrawing those whose finding no longer
holds), the force contact's outcome, the supervisor's acceptance or return, and the daily reminders. Each is one
transaction, and every change is saved with who made it in the action's history."""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from reviews.models import Action, ActionOutcome, ActionStatus, Audit, ReminderSent
from reviews.remedies.selectors import audit_findings, reminders_due
from reviews.workflow.locking import record_change

logger = logging.getLogger(__name__)

WITHDRAWN_REASON = "Withdrawn: verdict changed"
REINSTATED_REASON = "The finding holds again after a changed verdict"


def due_date(audit: Audit) -> date:
    """When an audit's actions are due: a configurable number of days after sign-off (ACTION_DUE_DAYS)."""
    return timezone.localdate(audit.signed_off_at) + timedelta(days=settings.ACTION_DUE_DAYS)


def actions_raise(*, audit: Audit, by) -> dict[str, int]:
    """Give the signed-off `audit` one action per finding: "reconsider the decision" for each decision whose
    counted verdict is incorrect, "tell the victim" for each victim counted as not told. Signing off again
    creates no duplicates; an action whose finding no longer holds is withdrawn (unless already put right), and
    a withdrawn one whose finding holds again is opened again. Returns how many were created and withdrawn.
    Called inside the sign-off's transaction, with the audit's row locked."""
    findings = audit_findings(audit=audit)
    existing = {(action.decision_id, action.kind): action for action in audit.actions.select_for_update()}
    counts = {"created": 0, "withdrawn": 0}
    for kind, decision_ids in findings.items():
        for decision_id in sorted(decision_ids):
            action = existing.get((decision_id, kind))
            if action is None:
                action = Action(audit=audit, decision_id=decision_id, kind=kind, due_on=due_date(audit))
                record_change(action, by=by, reason=f"Raised at the sign-off of {audit.name}")
                counts["created"] += 1
            elif action.status == ActionStatus.WITHDRAWN:
                _clear_outcome(action)
                action.status = ActionStatus.OPEN
                # Due afresh from this sign-off, like any finding raised now.
                action.due_on = due_date(audit)
                record_change(action, by=by, reason=REINSTATED_REASON)
    for (decision_id, kind), action in existing.items():
        holds = decision_id in findings[kind]
        if not holds and action.status not in (ActionStatus.WITHDRAWN, ActionStatus.PUT_RIGHT):
            action.status = ActionStatus.WITHDRAWN
            action.accepted_by = action.accepted_at = None
            record_change(action, by=by, reason=WITHDRAWN_REASON)
            counts["withdrawn"] += 1
    return counts


def _clear_outcome(action: Action) -> None:
    action.outcome, action.outcome_details, action.victim_told_on = "", "", None
    action.outcome_by = action.outcome_at = action.accepted_by = action.accepted_at = None


def _locked(action: Action) -> Action:
    # Only the action's row: the audit's is the sign-off's to lock, so the two never wait on each other in a cycle.
    return Action.objects.select_for_update(of=("self",)).select_related("audit__force").get(pk=action.pk)


@transaction.atomic
def action_record_outcome(
    *, action: Action, outcome: str, details: str = "", victim_told_on: date | None = None, by
) -> Action:
    """Record what the force did for `action`; it then waits for a supervisor to accept it. Recording the same
    outcome twice (a double click) changes nothing. Raises `ValidationError` for an outcome that does not fit
    the action, missing details or date, or an action not waiting for the force."""
    action = _locked(action)
    details = details.strip()
    same = (action.outcome, action.outcome_details, action.victim_told_on) == (outcome, details, victim_told_on)
    if action.status == ActionStatus.OUTCOME_RECORDED and same and action.outcome_by_id == by.pk:
        return action
    if not action.awaits_force:
        raise ValidationError(f"This action is {action.get_status_display().lower()}: its outcome cannot change.")
    if victim_told_on and victim_told_on > timezone.localdate():
        raise ValidationError({"victim_told_on": "The date the victim was told cannot be in the future."})
    action.outcome, action.outcome_details, action.victim_told_on = outcome, details, victim_told_on
    action.status = ActionStatus.OUTCOME_RECORDED
    action.outcome_by, action.outcome_at = by, timezone.now()
    record_change(action, by=by, reason=f"Outcome recorded: {ActionOutcome(outcome).label}")
    return action


def _check_settleable(action: Action, by) -> None:
    if not action.awaits_supervisor:
        raise ValidationError("Only an outcome waiting for acceptance can be accepted or returned.")
    if action.outcome_by_id == by.pk:
        raise ValidationError("You recorded this outcome: another supervisor must accept or return it.")


@transaction.atomic
def action_accept(*, action: Action, by) -> Action:
    """Accept the recorded outcome: the action is put right. Accepting it again changes nothing. Raises
    `ValidationError` for an action without an outcome waiting, or one whose outcome `by` recorded."""
    action = _locked(action)
    if action.status == ActionStatus.PUT_RIGHT:
        return action
    _check_settleable(action, by)
    action.status = ActionStatus.PUT_RIGHT
    action.accepted_by, action.accepted_at = by, timezone.now()
    action.return_comment = ""
    record_change(action, by=by, reason="Accepted: put right")
    return action


@transaction.atomic
def action_return(*, action: Action, by, comment: str) -> Action:
    """Send the recorded outcome back to the force with `comment`; the force records another. Raises
    `ValidationError` for an empty comment or an action without an outcome waiting."""
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": "Enter what the force needs to do."})
    action = _locked(action)
    if action.status == ActionStatus.RETURNED and action.return_comment == comment:
        return action
    _check_settleable(action, by)
    action.status = ActionStatus.RETURNED
    action.return_comment = comment
    record_change(action, by=by, reason=f"Returned: {comment}")
    return action


@dataclass
class RemindersSent:
    sent: int = 0
    failed: list[str] = field(default_factory=list)  # the addresses the mail server refused


def reminders_send(*, today: date) -> RemindersSent:
    """Email each person due a reminder today (see `reminders_due`) one list, and record it; a person already
    sent one today is skipped, so running the job twice sends nothing new. A reminder the mail server refuses is
    logged and left unrecorded, so the next run sends it, and the others still go."""
    result = RemindersSent()
    for person, reminder in reminders_due(today=today).items():
        try:
            with transaction.atomic():
                ReminderSent.objects.create(
                    user=person,
                    sent_on=today,
                    overdue_actions=len(reminder.overdue),
                    outcomes_waiting=len(reminder.waiting),
                )
                # Inside the transaction: a mail server that refuses leaves no record, so tomorrow's run retries.
                _send_reminder(person, reminder, today=today)
        except IntegrityError:
            continue  # already reminded today
        except OSError:  # smtplib's errors are OSErrors
            logger.exception("The reminder to %s could not be sent.", person.email)
            result.failed.append(person.email)
            continue
        result.sent += 1
    return result


def _send_reminder(person, reminder, *, today: date) -> None:
    context = {"person": person, "reminder": reminder, "today": today, "site_url": settings.SITE_URL}
    send_mail(
        subject=render_to_string("reviews/remedies/reminder_subject.txt", context).strip(),
        message=render_to_string("reviews/remedies/reminder.txt", context),
        from_email=None,
        recipient_list=[person.email],
    )
