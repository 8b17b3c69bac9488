"""Two people saving the same review at the same moment, on PostgreSQL where each request has its own
connection: the services lock the review's row, so the second save waits for the first, then finds the
review changed under it and is refused; the first is kept."""

import threading

import pytest
from django.db import connection, transaction

from reviews.models import OffenceCategory, Review, Verdict
from reviews.services import StaleReviewError, review_save
from tests.factories import DecisionFactory, sampled_audit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a database with row locks and connections"),
]


def test_the_later_of_two_simultaneous_saves_waits_and_is_refused(auditor, supervisor):
    DecisionFactory(crime_record__reference="NH/26/00001")
    audit = sampled_audit(name="Race", sizes={OffenceCategory.VIOLENCE: 1}, auditors=[auditor], by=supervisor)
    review = audit.reviews.get()
    opened = review.version
    first_saved, release_first = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first():
        try:
            with transaction.atomic():
                review_save(
                    review=review, by=auditor, answers={"decision_correct": Verdict.YES}, version=opened, submit=False
                )
                first_saved.set()
                # Hold the row lock while the second save arrives.
                release_first.wait(timeout=10)
            outcome["first"] = "saved"
        finally:
            connection.close()

    def second():
        try:
            review_save(
                review=review, by=auditor, answers={"decision_correct": Verdict.NO}, version=opened, submit=False
            )
            outcome["second"] = "saved"
        except StaleReviewError:
            outcome["second"] = "refused"
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert first_saved.wait(timeout=10)
    two = threading.Thread(target=second)
    two.start()
    two.join(timeout=0.5)
    assert two.is_alive(), "the second save should wait for the first one's row lock"
    release_first.set()
    one.join(timeout=10)
    two.join(timeout=10)

    assert outcome == {"first": "saved", "second": "refused"}
    stored = Review.objects.get(pk=review.pk)
    assert stored.decision_correct == Verdict.YES
    assert stored.version == opened + 1
