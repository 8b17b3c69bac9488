"""Issue 16, acceptance 4: the daily reminders, at most one a person a day, through Django's test outbox."""

import io
from datetime import date, timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from reviews.models import Action, ActionKind, ActionOutcome, ReminderSent
from reviews.remedies.services import action_record_outcome, reminders_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(audit):
    action = audit.actions.filter(kind=ActionKind.RECONSIDER).order_by("pk").first()
    Action.objects.filter(pk=action.pk).update(due_on=date.today() - timedelta(days=2))
    return action


def test_an_overdue_action_sends_one_email_to_its_force_contact_and_not_a_second_the_same_day(
    overdue, contact, other_contact, supervisor
):
    output = io.StringIO()
    call_command("send_action_reminders", stdout=output)
    assert output.getvalue().strip() == "1 reminder sent."

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [contact.email]
    assert "1 overdue action" in message.subject
    assert overdue.decision.crime_record.reference in message.body
    assert f"/actions/{overdue.pk}/" in message.body
    # Only the one overdue action, not the three still in time.
    assert message.body.count("/actions/") == 1

    assert reminders_send(today=date.today()).sent == 0
    assert len(mail.outbox) == 1
    assert ReminderSent.objects.get().user == contact

    assert reminders_send(today=date.today() + timedelta(days=1)).sent == 1
    assert len(mail.outbox) == 2


def test_supervisors_are_reminded_of_the_outcomes_waiting_for_them(audit, contact, supervisor):
    supervisor.email = "lead@example.org"
    supervisor.save()
    action = audit.actions.filter(kind=ActionKind.TELL_VICTIM).first()
    action_record_outcome(action=action, outcome=ActionOutcome.NOT_APPROPRIATE, details="Safeguarding.", by=contact)

    assert reminders_send(today=date.today()).sent == 1
    assert mail.outbox[0].to == ["lead@example.org"]
    assert "1 outcome waiting for you" in mail.outbox[0].subject
    assert "Not appropriate" in mail.outbox[0].body


def test_a_mail_server_that_refuses_leaves_the_reminder_to_send_again(overdue, contact, monkeypatch):
    def refuse(*args, **kwargs):
        raise SMTPServerDisconnected("connection refused")

    monkeypatch.setattr("reviews.remedies.services.send_mail", refuse)
    with pytest.raises(CommandError, match=contact.email):
        call_command("send_action_reminders", stdout=io.StringIO())
    assert not ReminderSent.objects.exists()

    monkeypatch.undo()
    assert reminders_send(today=date.today()).sent == 1
    assert mail.outbox[0].to == [contact.email]
