"""Issue 14, item 3: agreement between auditors is measured on each review's first submitted verdict, so a return
and a resubmission in agreement do not turn a disagreement into agreement in the figures."""

import importlib

import pytest
from django.apps import apps

from reviews.models import Review, Verdict
from reviews.quality.selectors import audit_agreement
from reviews.workflow.services import review_return
from tests.reviews.quality.pairs import CORRECT, INCORRECT, pair, submit

pytestmark = pytest.mark.django_db

migration = importlib.import_module("reviews.migrations.0005_blind_reviews_and_lasting_disagreements")


def decision_agreement(audit):
    """Agreement on "was the decision correct?" over the whole audit."""
    return audit_agreement(audit=audit)[0].overall


def submitted_no_returned_resubmitted_yes(audit, supervisor) -> tuple[Review, Review]:
    primary, second = pair(audit)
    submit(primary, CORRECT)
    submit(second, INCORRECT)
    review_return(review=second, by=supervisor, comment="Read the victim contact log again.")
    submit(second, CORRECT)
    second.refresh_from_db()
    return primary, second


def test_agreement_counts_the_first_submitted_verdict_not_the_resubmitted_one(paired, supervisor):
    primary, second = submitted_no_returned_resubmitted_yes(paired, supervisor)

    assert second.decision_correct == Verdict.YES
    assert second.first_decision_correct == Verdict.NO
    result = decision_agreement(paired)
    assert (result.items, result.agreed) == (1, 0), "'no' against 'yes': one pair, not in agreement"
    assert result.percent_agreement.value == 0


def test_agreement_counts_a_pair_while_a_review_is_back_with_its_auditor(paired, supervisor):
    primary, second = pair(paired)
    submit(primary, CORRECT)
    submit(second, CORRECT)
    review_return(review=primary, by=supervisor, comment="Add a note on the authorisation.")

    result = decision_agreement(paired)

    assert (result.items, result.agreed) == (1, 1)


def test_a_review_not_yet_submitted_keeps_no_first_verdict(paired):
    primary, _ = pair(paired)
    primary.refresh_from_db()

    assert (primary.first_submitted_at, primary.first_decision_correct) == (None, "")
    assert decision_agreement(paired).items == 0


def test_a_review_with_no_first_verdict_kept_counts_its_answers_as_they_stand(paired):
    # As a file import leaves a submitted review: its answers and status, but no first submission kept.
    primary, second = pair(paired)
    submit(primary, CORRECT)
    submit(second, INCORRECT)
    Review.objects.filter(pk=second.pk).update(
        first_submitted_at=None, first_decision_correct="", first_victim_informed=""
    )

    result = decision_agreement(paired)

    assert (result.items, result.agreed) == (1, 0)


def test_the_migration_takes_existing_reviews_first_verdicts_from_their_history(paired, supervisor):
    primary, second = submitted_no_returned_resubmitted_yes(paired, supervisor)
    Review.objects.update(first_submitted_at=None, first_decision_correct="", first_victim_informed="")

    migration.keep_first_submissions(apps, None)

    second.refresh_from_db()
    primary.refresh_from_db()
    assert (second.first_decision_correct, second.first_victim_informed) == (Verdict.NO, "no")
    assert second.first_submitted_at < second.submitted_at
    assert (primary.first_decision_correct, primary.first_victim_informed) == (Verdict.YES, "yes")
    untouched = Review.objects.filter(status="to_do").values_list("first_submitted_at", flat=True)
    assert set(untouched) == {None}
    assert decision_agreement(paired).agreed == 0
