"""Acceptance 6: the review queue and the review page run the same number of queries whatever the size of
the audit (and of a review's history)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import AuditStatus, Verdict
from reviews.workflow.services import review_save
from tests.factories import AuditFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def count_queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), "\n".join(query["sql"] for query in queries.captured_queries)


def grow(auditor, reviews: int):
    audit = AuditFactory(status=AuditStatus.IN_PROGRESS)
    return ReviewFactory.create_batch(reviews, audit=audit, auditor=auditor)


def test_the_review_queue_runs_the_same_queries_for_3_reviews_or_60(client, auditor, django_assert_max_num_queries):
    url_name = "review_queue"
    client.force_login(auditor)
    grow(auditor, 3)
    small, _ = count_queries(client, reverse(url_name))
    for review in grow(auditor, 57)[:5]:
        review.status, review.decision_correct = "draft", Verdict.YES
        review.save()
    large, sql = count_queries(client, reverse(url_name))
    filtered, _ = count_queries(client, reverse(url_name) + "?status=draft&category=violence")

    assert small == large == filtered, sql
    with django_assert_max_num_queries(12):
        client.get(reverse(url_name))


@pytest.mark.parametrize("role", ["auditor", "supervisor"])
def test_the_review_page_runs_the_same_queries_whatever_the_audit_or_history_size(
    client, auditor, supervisor, role, django_assert_max_num_queries
):
    client.force_login(auditor if role == "auditor" else supervisor)
    small_review = grow(auditor, 3)[0]
    small, _ = count_queries(client, reverse("review_detail", args=[small_review.pk]))
    large_review = grow(auditor, 60)[0]
    for answer in (Verdict.YES, Verdict.NO, Verdict.CANNOT_TELL, Verdict.YES):
        large_review.refresh_from_db()
        review_save(
            review=large_review,
            by=auditor,
            answers={"decision_correct": answer},
            version=large_review.version,
            submit=False,
        )
    large, sql = count_queries(client, reverse("review_detail", args=[large_review.pk]))

    assert small == large, sql
    # Includes the access record of the viewing (its insert, in a savepoint inside the test's transaction).
    with django_assert_max_num_queries(16):
        client.get(reverse("review_detail", args=[large_review.pk]))


def test_the_audit_page_runs_the_same_queries_for_3_reviews_or_60(client, auditor, supervisor):
    client.force_login(supervisor)
    small_audit = grow(auditor, 3)[0].audit
    small, _ = count_queries(client, reverse("audit_detail", args=[small_audit.pk]))
    large_audit = grow(auditor, 60)[0].audit
    large, sql = count_queries(client, reverse("audit_detail", args=[large_audit.pk]))

    assert small == large, sql
