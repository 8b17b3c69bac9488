"""Issue 14, item 3: a disagreement, once found, stays on record. A return and a resubmission in agreement close
it, with the reason in its history, where supervisors find it on the disagreements list; it is never deleted."""

import importlib
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from reviews.models import CLOSED_IN_AGREEMENT, Disagreement, DisagreementState, ReviewKind
from reviews.quality.services import disagreement_resolve
from reviews.workflow.services import audit_approve_submitted, audit_sign_off, review_return
from tests.reviews.quality.pairs import CORRECT, INCORRECT, pair, submit

pytestmark = pytest.mark.django_db

migration = importlib.import_module("reviews.migrations.0005_blind_reviews_and_lasting_disagreements")


def disagree_then_agree(audit, supervisor) -> Disagreement:
    """The first pair disagrees; the second review is returned and resubmitted agreeing with the first."""
    primary, second = pair(audit)
    submit(primary, CORRECT)
    submit(second, INCORRECT)
    review_return(review=second, by=supervisor, comment="Read the victim contact log again.")
    submit(second, CORRECT)
    return Disagreement.objects.get()


def test_a_disagreement_resubmitted_in_agreement_is_closed_with_its_reason_not_deleted(paired, supervisor):
    disagreement = disagree_then_agree(paired, supervisor)

    assert disagreement.state == DisagreementState.CLOSED
    assert disagreement.closed_reason == CLOSED_IN_AGREEMENT
    assert disagreement.decision_correct_differs, "what differed is kept"
    reasons = list(disagreement.history.order_by("history_date").values_list("history_change_reason", flat=True))
    assert reasons == ["The two reviews differ", CLOSED_IN_AGREEMENT]
    assert not paired.disagreements.unresolved().exists()


def test_supervisors_find_closed_disagreements_on_the_list_by_state(client, paired, supervisor, auditor):
    disagreement = disagree_then_agree(paired, supervisor)
    reference = disagreement.decision.crime_record.reference
    client.force_login(supervisor)

    def listed(status: str) -> str:
        return client.get(reverse("disagreement_list"), {"status": status}).content.decode()

    assert reference in listed("closed")
    assert CLOSED_IN_AGREEMENT in listed("closed")
    assert reference in listed("")
    assert reference not in listed("open")
    assert reference not in listed("settled")
    page = client.get(disagreement.get_absolute_url()).content.decode()
    assert CLOSED_IN_AGREEMENT in page
    assert "Record final verdict" not in page
    client.force_login(auditor)
    assert client.get(reverse("disagreement_list"), {"status": "closed"}).status_code == 403


def test_an_unknown_state_in_the_list_filter_is_a_message_not_an_error(client, paired, supervisor):
    disagree_then_agree(paired, supervisor)
    client.force_login(supervisor)

    response = client.get(reverse("disagreement_list"), {"status": "deleted"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_a_closed_disagreement_opens_again_when_the_reviews_differ_again(paired, supervisor):
    disagreement = disagree_then_agree(paired, supervisor)
    second = disagreement.second_review

    review_return(review=second, by=supervisor, comment="On reflection, check the authorisation.")
    submit(second, INCORRECT)

    disagreement.refresh_from_db()
    assert Disagreement.objects.count() == 1
    assert disagreement.state == DisagreementState.OPEN
    assert disagreement.closed_reason == ""
    assert disagreement.history.filter(history_change_reason="The two reviews differ again").exists()
    assert paired.disagreements.unresolved().get() == disagreement


def test_a_closed_disagreement_takes_no_final_verdict_and_does_not_block_sign_off(paired, supervisor):
    disagreement = disagree_then_agree(paired, supervisor)

    with pytest.raises(ValidationError, match="closed"):
        disagreement_resolve(disagreement=disagreement, by=supervisor, answers=CORRECT, reason="Agreed.")
    for review in paired.reviews.filter(kind__in=ReviewKind.blind_pair(), status="to_do"):
        submit(review, CORRECT)
    audit_approve_submitted(audit=paired, by=supervisor)
    audit_sign_off(audit=paired, by=supervisor)

    disagreement.refresh_from_db()
    assert disagreement.state == DisagreementState.CLOSED
    assert disagreement.final_review is None


class SchemaEditor:
    connection = connection


def test_the_migration_restores_disagreements_deleted_in_agreement_as_closed(paired, supervisor):
    primary, second = pair(paired)
    submit(primary, CORRECT)
    submit(second, INCORRECT)
    found = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    Disagreement.objects.update(detected_at=found)
    # As disagreements were removed before: deleted, with the reason in the history.
    deleted = Disagreement.objects.get()
    deleted._history_user = supervisor
    deleted._change_reason = migration.DELETED_IN_AGREEMENT
    deleted.delete()

    from django.apps import apps

    migration.restore_deleted_disagreements(apps, SchemaEditor())
    migration.restore_deleted_disagreements(apps, SchemaEditor())

    restored = Disagreement.objects.get()
    assert (restored.primary_review, restored.second_review) == (primary, second)
    assert restored.state == DisagreementState.CLOSED
    assert restored.closed_reason == CLOSED_IN_AGREEMENT
    assert restored.history.filter(history_change_reason__startswith=CLOSED_IN_AGREEMENT).exists()
    # Found when it was found, closed after.
    assert restored.detected_at == found < restored.closed_at


def test_a_final_verdict_sent_for_a_closed_disagreement_is_refused_with_a_message(client, paired, supervisor):
    disagreement = disagree_then_agree(paired, supervisor)
    client.force_login(supervisor)
    answers = {**INCORRECT, "victim_should_be_informed": "yes", "reason": "The first reading was right."}

    response = client.post(disagreement.get_absolute_url(), answers, follow=True)

    assert response.status_code == 200
    assert "This disagreement is closed" in response.content.decode()
    disagreement.refresh_from_db()
    assert (disagreement.state, disagreement.final_review) == (DisagreementState.CLOSED, None)
    review_page = client.get(disagreement.second_review.get_absolute_url()).content.decode()
    assert "See the closed disagreement and its history" in review_page
