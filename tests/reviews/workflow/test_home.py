import pytest
from django.urls import reverse

from accounts.roles import Role
from reviews.models import AuditStatus, ReviewStatus, Verdict
from reviews.results.publishing import audit_publish
from tests.factories import AuditFactory, ReviewFactory, UserFactory, force

pytestmark = pytest.mark.django_db


@pytest.fixture
def audits(supervisor):
    """An in-progress Northamptonshire audit, a signed-off one, and a signed-off Kent audit."""
    return {
        "open": AuditFactory(name="Northamptonshire in progress", in_progress=True),
        "signed": AuditFactory(name="Northamptonshire signed off", signed_off=True, signed_off_by=supervisor),
        "kent": AuditFactory(name="Kent signed off", force=force("kent"), signed_off=True, signed_off_by=supervisor),
    }


def audit_names(response) -> set[str]:
    return {audit.name for audit in response.context["table"].data}


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SUPERVISOR, Role.DATA_STEWARD])
def test_audit_staff_see_every_audit(client, audits, role):
    client.force_login(UserFactory(role=role))

    response = client.get(reverse("home"))

    assert audit_names(response) == {"Northamptonshire in progress", "Northamptonshire signed off", "Kent signed off"}


def test_a_force_contact_sees_only_their_own_forces_published_audits(client, audits, supervisor, force_contact):
    for audit in (audits["signed"], audits["kent"]):
        audit_publish(audit=audit, by=supervisor)
    # Signed off but not published: not the force's to read yet.
    AuditFactory(name="Northamptonshire not published", signed_off=True, signed_off_by=supervisor)
    client.force_login(force_contact)

    response = client.get(reverse("home"))

    assert audit_names(response) == {"Northamptonshire signed off"}
    assert "Kent signed off" not in response.content.decode()


def test_someone_without_a_role_sees_no_audit_and_is_told_why(client, audits):
    client.force_login(UserFactory())

    response = client.get(reverse("home"))

    assert audit_names(response) == set()
    assert "Your account has no role yet" in response.content.decode()


def test_progress_counts_finished_primary_reviews(client, supervisor):
    audit = AuditFactory(name="Progress", status=AuditStatus.IN_PROGRESS)
    ReviewFactory.create_batch(2, audit=audit)
    ReviewFactory(audit=audit, status=ReviewStatus.DRAFT, decision_correct=Verdict.YES)
    ReviewFactory(
        audit=audit,
        status=ReviewStatus.SUBMITTED,
        decision_correct=Verdict.YES,
        victim_should_be_informed=True,
        victim_informed="yes",
    )
    client.force_login(supervisor)

    response = client.get(reverse("home"))

    assert "1 of 4 done" in response.content.decode()


def test_the_start_page_runs_the_same_queries_for_3_audits_or_30(client, supervisor, django_assert_max_num_queries):
    def load(audit_count: int) -> None:
        for _ in range(audit_count):
            ReviewFactory.create_batch(2, audit=AuditFactory())
        client.force_login(supervisor)
        with django_assert_max_num_queries(8):
            assert client.get(reverse("home")).status_code == 200

    load(3)
    load(27)
