"""The disagreements list, the resolution page and the audit page's quality figures run the same number of
queries whatever the number of disagreements, second reviews and auditors."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from reviews.models import AuditStatus
from reviews.quality.services import disagreement_resolve
from tests.factories import AuditFactory, DisagreementFactory, KnownAnswerItemFactory, ReviewFactory, UserFactory
from tests.reviews.workflow.test_query_counts import count_queries

pytestmark = pytest.mark.django_db

FINAL = {
    "decision_correct": "no",
    "incorrect_reason": "other",
    "notes": "Settled.",
    "victim_should_be_informed": False,
    "no_need_to_inform_reason": "other",
    "victim_informed": "",
}


def grow(count: int, audit=None):
    audit = audit or AuditFactory(status=AuditStatus.IN_PROGRESS)
    return DisagreementFactory.create_batch(count, audit=audit)


def test_the_disagreements_list_runs_the_same_queries_for_2_or_30(client, supervisor, django_assert_max_num_queries):
    client.force_login(supervisor)
    grow(2)
    small, _ = count_queries(client, reverse("disagreement_list"))
    grown = grow(28)
    for disagreement in grown[:3]:
        disagreement_resolve(disagreement=disagreement, by=supervisor, answers=FINAL, reason="Read the file.")
    large, sql = count_queries(client, reverse("disagreement_list"))
    filtered, _ = count_queries(client, reverse("disagreement_list") + "?status=open&category=violence")

    assert small == large == filtered, sql
    with django_assert_max_num_queries(12):
        client.get(reverse("disagreement_list"))


def test_the_resolution_page_runs_the_same_queries_whatever_its_history(client, supervisor):
    client.force_login(supervisor)
    small_one = grow(1)[0]
    small, _ = count_queries(client, small_one.get_absolute_url())
    large_one = grow(1)[0]
    for reason in ("First look.", "Second look.", "Third look."):
        disagreement_resolve(disagreement=large_one, by=supervisor, answers=FINAL, reason=reason)
        large_one.refresh_from_db()
    large, sql = count_queries(client, large_one.get_absolute_url())
    assert large <= small + 1, sql  # a resolved one also reads its final verdict


def test_the_audit_page_quality_figures_run_the_same_queries_at_any_size(client, supervisor):
    client.force_login(supervisor)
    small_audit = AuditFactory(status=AuditStatus.IN_PROGRESS)
    grow(1, small_audit)
    small, _ = count_queries(client, small_audit.get_absolute_url())

    large_audit = AuditFactory(status=AuditStatus.IN_PROGRESS, name="Large")
    for _ in range(4):
        pair_auditors = [UserFactory(role=Role.AUDITOR) for _ in range(2)]
        DisagreementFactory.create_batch(
            3,
            audit=large_audit,
            second_review__auditor=pair_auditors[0],
            second_review__primary_review__auditor=pair_auditors[1],
        )
    for _ in range(3):
        known = KnownAnswerItemFactory(audit=large_audit)
        ReviewFactory(
            audit=large_audit,
            decision=known.decision,
            status="submitted",
            decision_correct="yes",
            victim_should_be_informed=False,
            no_need_to_inform_reason="other",
        )
    large, sql = count_queries(client, large_audit.get_absolute_url())
    assert small == large, sql
