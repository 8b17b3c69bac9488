"""The Django admin is the data steward's tool: every model is listed, searchable and editable there,
except the reviews of a signed-off audit, which are evidence."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import AuditStatus, CrimeRecord, ReviewStatus, Verdict
from tests.factories import AuditCategoryFactory, AuditFactory, DecisionFactory, ReviewFactory, sign_off

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "admin:forces_force_changelist",
    "admin:reviews_crimerecord_changelist",
    "admin:reviews_cancellationdecision_changelist",
    "admin:reviews_audit_changelist",
    "admin:reviews_review_changelist",
    "admin:accounts_user_changelist",
]


@pytest.fixture
def some_of_everything(supervisor):
    audit = AuditFactory(status=AuditStatus.IN_PROGRESS)
    AuditCategoryFactory(audit=audit)
    ReviewFactory.create_batch(3, audit=audit)
    DecisionFactory(transfer=True)


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_a_data_steward_can_list_and_search_every_model(client, data_steward, some_of_everything, url_name):
    client.force_login(data_steward)

    assert client.get(reverse(url_name)).status_code == 200
    assert client.get(reverse(url_name), {"q": "northamptonshire"}).status_code == 200


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_admin_lists_run_the_same_queries_for_few_rows_or_many(client, data_steward, url_name):
    client.force_login(data_steward)
    counts = []
    for batch in (2, 20):
        audit = AuditFactory()
        ReviewFactory.create_batch(batch, audit=audit)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(url_name)).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1], "\n".join(query["sql"] for query in queries.captured_queries)


def test_a_data_steward_records_a_crime_with_its_decision_in_one_form(client, data_steward, northamptonshire):
    client.force_login(data_steward)

    response = client.post(
        reverse("admin:reviews_crimerecord_add"),
        {
            "force": northamptonshire.pk,
            "reference": "NH/26/000123",
            "offence_category": "robbery",
            "offence_code": "34b",
            "recorded_on": "2026-01-05",
            "decision-TOTAL_FORMS": "1",
            "decision-INITIAL_FORMS": "0",
            "decision-MIN_NUM_FORMS": "0",
            "decision-MAX_NUM_FORMS": "1",
            "decision-0-outcome": "transferred",
            "decision-0-criterion": "C2",
            "decision-0-decided_on": "2026-01-20",
            "decision-0-authoriser_role": "ddm",
            "decision-0-rationale": "Happened elsewhere.",
        },
    )

    assert response.status_code == 200
    assert "Outcome &quot;transferred&quot; needs criterion C1." in response.content.decode()
    assert "A transfer needs the force that received it." in response.content.decode()
    assert not CrimeRecord.objects.filter(reference="NH/26/000123").exists()


def test_the_reviews_of_a_signed_off_audit_cannot_be_changed_in_the_admin(client, supervisor, data_steward):
    from django.contrib.auth.models import Permission

    data_steward.user_permissions.add(Permission.objects.get(codename="change_review"))
    audit = AuditFactory()
    review = ReviewFactory(
        audit=audit,
        status=ReviewStatus.APPROVED,
        decision_correct=Verdict.YES,
        victim_should_be_informed=True,
        victim_informed="yes",
    )
    sign_off(audit, by=supervisor)
    client.force_login(data_steward)
    url = reverse("admin:reviews_review_change", args=[review.pk])

    page = client.get(url)
    attempt = client.post(url, {"decision_correct": "no", "incorrect_reason": "other", "status": "approved"})

    assert "This audit is signed off: its reviews can no longer be changed." in page.content.decode()
    assert attempt.status_code == 403
    assert "You do not have access to this page" in attempt.content.decode()
    review.refresh_from_db()
    assert review.decision_correct == Verdict.YES


def test_the_seed_that_reproduces_a_draw_is_shown_only_to_supervisors(client, data_steward):
    audit = AuditFactory(seed=918273645)
    page = reverse("admin:reviews_audit_change", args=[audit.pk])
    client.force_login(data_steward)

    steward_page = client.get(page)

    assert steward_page.status_code == 200
    assert "918273645" not in steward_page.content.decode()

    data_steward.is_superuser = True
    data_steward.save()
    assert "918273645" in client.get(page).content.decode()
