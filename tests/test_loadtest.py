"""The load test's own arithmetic and its check for lost updates (`make loadtest` runs the real thing)."""

import argparse

import pytest

from bench.loadtest import bounded, latency, lost_updates, percentile
from reviews.models import Verdict
from tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db


def test_percentiles_are_nearest_rank():
    values = [float(number) for number in range(1, 101)]

    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0
    assert latency([3.0, 1.0, 2.0]) == {"requests": 3, "p50_ms": 2.0, "p95_ms": 3.0, "p99_ms": 3.0}


def test_a_review_whose_stored_answers_differ_from_the_last_save_reported_is_a_lost_update():
    kept = ReviewFactory(decision_correct=Verdict.YES, notes="auditor-01, save 3")
    overwritten = ReviewFactory(decision_correct=Verdict.CANNOT_TELL, notes="auditor-02, save 1")

    lost = lost_updates(
        {
            kept.pk: {"decision_correct": "yes", "notes": "auditor-01, save 3"},
            overwritten.pk: {"decision_correct": "cannot_tell", "notes": "auditor-02, save 2"},
            999_999: {"decision_correct": "yes", "notes": "never stored"},
        }
    )

    assert lost == [overwritten.pk, 999_999]


@pytest.mark.parametrize("seconds", ["0", "601", "-5"])
def test_the_run_is_bounded_in_time(seconds):
    with pytest.raises(argparse.ArgumentTypeError, match="between 1 and 600"):
        bounded(seconds)
