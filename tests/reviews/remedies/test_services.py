"""Issue 16, acceptance 1: actions from findings, raised once, withdrawn when a changed verdict removes their
finding, and counting the final verdict of a settled disagreement."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from accounts.roles import Role
from reviews.models import Action, ActionKind, ActionOutcome, ActionStatus, Disagreement, OffenceCategory, ReviewKind
from reviews.quality.services import audit_set_second_review_share, disagreement_resolve
from reviews.remedies.services import action_accept, action_record_outcome, action_return
from reviews.workflow.services import (
    audit_approve_submitted,
    audit_assign_evenly,
    audit_reopen,
    audit_sign_off,
    review_return,
)
from tests.factories import DecisionFactory, UserFactory, sampled_audit
from tests.reviews.remedies.helpers import (
    CORRECT_TOLD,
    INCORRECT_TOLD,
    primaries,
    signed_off_audit,
    submit,
)

pytestmark = pytest.mark.django_db


def kinds(audit) -> list[tuple[str, str]]:
    return sorted(
        (action.decision.crime_record.reference, action.kind)
        for action in Action.objects.filter(audit=audit).current().select_related("decision__crime_record")
    )


def test_signing_off_raises_one_action_per_finding(audit, supervisor):
    first, second, third, *_ = [review.decision.crime_record.reference for review in primaries(audit)]

    assert kinds(audit) == sorted(
        [
            (first, ActionKind.RECONSIDER),
            (first, ActionKind.TELL_VICTIM),
            (second, ActionKind.RECONSIDER),
            (third, ActionKind.TELL_VICTIM),
        ]
    )
    action = Action.objects.filter(audit=audit).first()
    assert action.due_on == timezone.localdate(audit.signed_off_at) + timedelta(days=28)
    assert action.status == ActionStatus.OPEN
    assert action.history.get().history_user == supervisor


def test_the_due_date_is_configurable(settings, supervisor, auditor):
    settings.ACTION_DUE_DAYS = 7
    audit = signed_off_audit(supervisor=supervisor, auditor=auditor)
    assert {action.due_on for action in audit.actions.all()} == {timezone.localdate(audit.signed_off_at) + timedelta(7)}


def test_reopening_and_signing_off_again_raises_no_duplicates(audit, supervisor):
    before = kinds(audit)
    audit_reopen(audit=audit, by=supervisor, reason="A late document.")
    audit_sign_off(audit=audit, by=supervisor)

    assert kinds(audit) == before
    assert Action.objects.count() == 4


def test_a_verdict_changed_from_no_to_yes_withdraws_its_action_with_history(audit, supervisor):
    second = primaries(audit)[1]
    reconsider = Action.objects.get(decision=second.decision, kind=ActionKind.RECONSIDER)
    audit_reopen(audit=audit, by=supervisor, reason="The force sent new evidence.")
    review_return(review=second, by=supervisor, comment="Read the new evidence.")
    submit(second, CORRECT_TOLD)
    audit_approve_submitted(audit=audit, by=supervisor)
    audit_sign_off(audit=audit, by=supervisor)

    reconsider.refresh_from_db()
    assert reconsider.status == ActionStatus.WITHDRAWN
    assert reconsider.history.first().history_change_reason == "Withdrawn: verdict changed"
    assert [entry.status for entry in reconsider.history.order_by("history_date")] == ["open", "withdrawn"]
    assert len(kinds(audit)) == 3

    # The verdict changed back weeks later: the same action opens again, with its history, and no second one is made;
    # it is due afresh from this sign-off, not overdue the moment it opens.
    Action.objects.filter(pk=reconsider.pk).update(due_on=timezone.localdate() - timedelta(days=30))
    audit_reopen(audit=audit, by=supervisor, reason="The evidence was not verifiable after all.")
    review_return(review=second, by=supervisor, comment="Back to incorrect.")
    submit(second, INCORRECT_TOLD)
    audit_approve_submitted(audit=audit, by=supervisor)
    audit_sign_off(audit=audit, by=supervisor)
    reconsider.refresh_from_db()
    assert reconsider.status == ActionStatus.OPEN
    assert Action.objects.filter(decision=second.decision).count() == 1
    assert not reconsider.is_overdue(timezone.localdate())


def test_a_settled_disagreement_counts_its_final_verdict(supervisor, auditor):
    second_auditor = UserFactory(username="second", role=Role.AUDITOR)
    for number in range(2):
        DecisionFactory(crime_record__reference=f"NH/DIS/{number}", crime_record__offence_category="violence")
    audit = sampled_audit(name="Disputed", sizes={OffenceCategory.VIOLENCE: 2}, seed=5, by=supervisor)
    audit_set_second_review_share(audit=audit, share=100, by=supervisor)
    audit_assign_evenly(audit=audit, auditors=[auditor, second_auditor], by=supervisor)
    first, other = primaries(audit)
    # The first decision: the primary says correct, the second incorrect, and the final verdict is incorrect.
    # The other: the primary says incorrect, the second correct, and the final verdict is correct.
    submit(first, CORRECT_TOLD)
    submit(first.second_review, INCORRECT_TOLD)
    submit(other, INCORRECT_TOLD)
    submit(other.second_review, CORRECT_TOLD)
    for disagreement, answers in [
        (Disagreement.objects.get(primary_review=first), INCORRECT_TOLD),
        (Disagreement.objects.get(primary_review=other), CORRECT_TOLD),
    ]:
        disagreement_resolve(disagreement=disagreement, by=supervisor, answers=answers, reason="Read the file.")
    audit_approve_submitted(audit=audit, by=supervisor)
    audit_sign_off(audit=audit, by=supervisor)

    assert kinds(audit) == [(first.decision.crime_record.reference, ActionKind.RECONSIDER)]
    assert audit.reviews.filter(kind=ReviewKind.FINAL).count() == 2


def tell_victim(audit) -> Action:
    return audit.actions.filter(kind=ActionKind.TELL_VICTIM).order_by("pk").first()


def test_an_outcome_is_recorded_then_accepted_and_only_then_put_right(audit, contact, supervisor):
    action = tell_victim(audit)
    with pytest.raises(ValidationError, match="Enter the date the victim was told"):
        action_record_outcome(action=action, outcome=ActionOutcome.VICTIM_TOLD, by=contact)
    with pytest.raises(ValidationError, match="outcomes for this kind"):
        action_record_outcome(action=action, outcome=ActionOutcome.CRIME_REINSTATED, by=contact)
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN

    action = action_record_outcome(
        action=action, outcome=ActionOutcome.VICTIM_TOLD, victim_told_on=date(2026, 5, 1), by=contact
    )
    assert action.status == ActionStatus.OUTCOME_RECORDED
    action = action_accept(action=action, by=supervisor)
    assert action.status == ActionStatus.PUT_RIGHT
    assert action.accepted_by == supervisor
    with pytest.raises(ValidationError, match="cannot change"):
        action_record_outcome(action=action, outcome=ActionOutcome.NOT_APPROPRIATE, details="No.", by=contact)
    assert [entry.history_change_reason for entry in action.history.order_by("history_date")][1:] == [
        "Outcome recorded: Victim told",
        "Accepted: put right",
    ]


def test_a_returned_outcome_goes_back_to_the_force_and_nobody_accepts_their_own(audit, contact, supervisor):
    action = audit.actions.filter(kind=ActionKind.RECONSIDER).first()
    with pytest.raises(ValidationError, match="Describe the new evidence"):
        action_record_outcome(action=action, outcome=ActionOutcome.UPHELD_ON_NEW_EVIDENCE, details=" ", by=contact)
    action = action_record_outcome(
        action=action, outcome=ActionOutcome.UPHELD_ON_NEW_EVIDENCE, details="CCTV found later.", by=contact
    )
    with pytest.raises(ValidationError, match="Enter what the force needs to do"):
        action_return(action=action, by=supervisor, comment="")
    action = action_return(action=action, by=supervisor, comment="Attach the CCTV log.")
    assert action.status == ActionStatus.RETURNED
    with pytest.raises(ValidationError, match="waiting for acceptance"):
        action_accept(action=action, by=supervisor)

    both = UserFactory(username="both", role=Role.SUPERVISOR)
    both.groups.add(*contact.groups.all())
    both.force = contact.force
    both.save()
    action = action_record_outcome(action=action, outcome=ActionOutcome.CRIME_REINSTATED, by=both)
    with pytest.raises(ValidationError, match="You recorded this outcome"):
        action_accept(action=action, by=both)
    assert action_accept(action=action, by=supervisor).status == ActionStatus.PUT_RIGHT


def test_actions_cannot_be_deleted_through_the_data_administration_pages(audit, client, data_steward):
    data_steward.is_superuser = True
    data_steward.save()
    client.force_login(data_steward)
    action = audit.actions.first()
    response = client.post(f"/admin/reviews/action/{action.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Action.objects.filter(pk=action.pk).exists()


def test_audits_signed_off_before_actions_existed_get_theirs_once_from_the_command(audit, supervisor, capsys):
    # As an audit signed off before the service raised actions: its findings stand, its actions do not exist yet.
    expected = kinds(audit)
    Action.history.all().delete()
    Action.objects.filter(audit=audit).delete()

    call_command("raise_actions", "--user", supervisor.username)
    call_command("raise_actions")

    assert kinds(audit) == expected
    assert "4 actions raised for 1 audit." in capsys.readouterr().out
    assert Action.objects.filter(audit=audit).count() == 4
    assert {action.history.earliest().history_user for action in audit.actions.all()} == {supervisor}
