"""Text people type is shown as text on every page, and no form is accepted without its CSRF token."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AccessAction
from accounts.roles import Role
from accounts.services import access_record
from forces.models import Force
from reviews.demo import seed_demo
from reviews.models import Audit, AuditStatus, CancellationDecision, CrimeRecord, Review, ReviewStatus, Verdict
from tests.factories import AuditFactory, DecisionFactory, ReviewFactory, UserFactory
from tests.reviews.results.summary_data import publish_signed_off

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("cancelled")</script>'
ATTRIBUTE = '"><img src=x onerror=alert(1)>'


def assert_inert(html: str, *payloads: str):
    for payload in payloads:
        assert payload not in html
    assert "<script>alert" not in html
    assert "<img src=x" not in html


@pytest.fixture
def hostile(northamptonshire, supervisor):
    """Markup everywhere a person can type a name or a note."""
    Force.objects.filter(pk=northamptonshire.pk).update(name=f"Northamptonshire {SCRIPT}")
    viewer = UserFactory(username="viewer", first_name=SCRIPT, last_name=ATTRIBUTE, role=Role.FORCE_CONTACT)
    viewer.force = northamptonshire
    viewer.save()
    audit = AuditFactory(name=f"Audit {SCRIPT}", status=AuditStatus.IN_PROGRESS)
    decision = DecisionFactory(rationale=f"Victim withdrew {SCRIPT} {ATTRIBUTE}")
    ReviewFactory(audit=audit, decision=decision, notes=f"Note {SCRIPT}")
    access_record(
        user=viewer,
        action=AccessAction.EXPORTED,
        target=audit,
        details={"table": SCRIPT, "filters": {"name": ATTRIBUTE}, "file_name": SCRIPT},
    )
    return {"viewer": viewer, "audit": audit, "decision": decision}


def test_the_home_page_shows_audit_and_force_names_as_text(client, hostile, supervisor):
    client.force_login(supervisor)

    html = client.get(reverse("home")).content.decode()

    assert "Audit &lt;script&gt;alert(&quot;cancelled&quot;)&lt;/script&gt;" in html
    assert_inert(html, SCRIPT)


def test_the_access_records_page_shows_names_labels_and_details_as_text(client, hostile, supervisor):
    client.force_login(supervisor)

    html = client.get(reverse("access_records")).content.decode()

    assert "&lt;script&gt;" in html
    assert_inert(html, SCRIPT, ATTRIBUTE)


def test_the_sign_in_page_shows_a_typed_username_as_text(client):
    response = client.post(reverse("login"), {"username": ATTRIBUTE, "password": "wrong"})

    html = response.content.decode()
    assert 'value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"' in html
    assert_inert(html, ATTRIBUTE)


def test_the_lockout_page_shows_a_typed_username_as_text(client, settings):
    settings.AXES_FAILURE_LIMIT = 1

    response = client.post(reverse("login"), {"username": ATTRIBUTE, "password": "wrong"})

    assert response.status_code == 429
    assert_inert(response.content.decode(), ATTRIBUTE)


def test_the_not_found_page_does_not_repeat_the_address(client, supervisor):
    client.force_login(supervisor)

    response = client.get(f"/{SCRIPT}/")

    assert response.status_code == 404
    assert_inert(response.content.decode(), SCRIPT)


@pytest.mark.parametrize(
    "address",
    [
        lambda objects: reverse("admin:reviews_audit_changelist"),
        lambda objects: reverse("admin:reviews_review_changelist"),
        lambda objects: reverse("admin:reviews_cancellationdecision_change", args=[objects["decision"].pk]),
        lambda objects: reverse("admin:accounts_user_changelist"),
        lambda objects: reverse("admin:accounts_accessrecord_changelist"),
        lambda objects: reverse("admin:forces_force_changelist"),
    ],
    ids=["audits", "reviews", "decision with rationale", "users", "access records", "forces"],
)
def test_the_data_administration_pages_show_text_as_text(client, hostile, data_steward, address):
    client.force_login(data_steward)

    response = client.get(address(hostile))

    assert response.status_code == 200
    assert_inert(response.content.decode(), SCRIPT, ATTRIBUTE)


def test_signing_in_without_the_csrf_token_is_refused_and_signs_no_one_in(auditor):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "auditor", "password": "correct-horse-battery"})

    assert response.status_code == 403
    assert "Your form could not be sent" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_signing_in_with_a_forged_csrf_token_is_refused(auditor):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))

    response = client.post(
        reverse("login"),
        {"username": "auditor", "password": "correct-horse-battery", "csrfmiddlewaretoken": "x" * 64},
    )

    assert response.status_code == 403
    assert client.get(reverse("home")).status_code == 302


def test_signing_in_with_the_pages_own_token_works(auditor):
    client = Client(enforce_csrf_checks=True)
    token = client.get(reverse("login")).context["csrf_token"]

    response = client.post(
        reverse("login"), {"username": "auditor", "password": "correct-horse-battery", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_signing_out_without_the_csrf_token_is_refused_and_the_session_continues(auditor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(auditor)

    assert client.post(reverse("logout")).status_code == 403
    assert client.get(reverse("home")).status_code == 200


def test_an_admin_change_without_the_csrf_token_is_refused(data_steward, northamptonshire):
    client = Client(enforce_csrf_checks=True)
    client.force_login(data_steward)

    response = client.post(reverse("admin:forces_force_change", args=[northamptonshire.pk]), {"name": "Renamed"})

    assert response.status_code == 403
    assert Force.objects.get(pk=northamptonshire.pk).name == northamptonshire.name


# The demo data with markup typed wherever people or files put text, on every page that shows it.

ESCAPED_SCRIPT = "&lt;script&gt;alert(&quot;cancelled&quot;)&lt;/script&gt;"


@pytest.fixture
def hostile_demo():
    """The demo data, with markup in a signed-off incorrect review (Hampshire and Isle of Wight) and in a
    draft of the audit in progress (Northamptonshire): its rationale, notes, crime reference, the audit's
    name and the auditor's name, as an import or a form could have left them; the signed-off audits published."""
    seed_demo(only=("northamptonshire", "hampshire"))
    incorrect = (
        Review.objects.filter(audit__force__code="hampshire", decision_correct=Verdict.NO)
        .select_related("decision__crime_record", "audit", "auditor")
        .first()
    )
    draft = Review.objects.filter(audit__force__code="northamptonshire", status=ReviewStatus.DRAFT).first()
    for review in (incorrect, draft):
        # Written past the services on purpose: a signed-off audit's reviews cannot be changed through them.
        Review.objects.filter(pk=review.pk).update(notes=f"Auditor's note {SCRIPT}")
        CancellationDecision.objects.filter(pk=review.decision_id).update(rationale=f"Victim withdrew {SCRIPT}")
    CrimeRecord.objects.filter(pk=incorrect.decision.crime_record_id).update(reference=f"HC/{SCRIPT}")
    Audit.objects.filter(pk=incorrect.audit_id).update(name=f"Audit {SCRIPT}")
    type(incorrect.auditor).objects.filter(pk=incorrect.auditor_id).update(first_name=SCRIPT)
    # Published as they stand, so the national page and the published versions hold the markup too.
    publish_signed_off()
    return {"incorrect": incorrect, "draft": draft}


def page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_review_page_shows_the_rationale_and_notes_as_text(client, hostile_demo):
    draft, incorrect = hostile_demo["draft"], hostile_demo["incorrect"]

    # The auditor's own draft, with the form.
    html = page(client, draft.auditor, reverse("review_detail", args=[draft.pk]))
    assert f"Victim withdrew {ESCAPED_SCRIPT}" in html
    assert f"Auditor&#x27;s note {ESCAPED_SCRIPT}" in html
    assert_inert(html, SCRIPT)

    # A supervisor reading a signed-off review: the answers, the reference and the auditor's name too.
    html = page(client, incorrect.audit.created_by, reverse("review_detail", args=[incorrect.pk]))
    assert f"Victim withdrew {ESCAPED_SCRIPT}" in html
    assert f"Auditor&#x27;s note {ESCAPED_SCRIPT}" in html
    assert f"HC/{ESCAPED_SCRIPT}" in html
    assert_inert(html, SCRIPT)


def test_the_audit_page_shows_references_names_and_the_audit_name_as_text(client, hostile_demo):
    incorrect = hostile_demo["incorrect"]

    html = page(client, incorrect.audit.created_by, reverse("audit_detail", args=[incorrect.audit_id]))

    assert f"HC/{ESCAPED_SCRIPT}" in html
    assert f"Audit {ESCAPED_SCRIPT}" in html
    assert_inert(html, SCRIPT)


def test_the_force_results_list_of_incorrect_decisions_shows_references_as_text(client, hostile_demo):
    incorrect = hostile_demo["incorrect"]

    for url in [
        reverse("force_results", args=["hampshire"]),
        reverse("force_audit_report", args=["hampshire", incorrect.audit_id]),
    ]:
        html = page(client, incorrect.audit.created_by, url)
        incorrect_list = html.split('id="incorrect-decisions"')[1]
        assert f"HC/{ESCAPED_SCRIPT}" in incorrect_list
        assert_inert(html, SCRIPT)


def test_the_national_page_and_its_export_show_the_audit_name_as_text(client, hostile_demo):
    supervisor = hostile_demo["incorrect"].audit.created_by

    # The name was changed after the audit was published: the supervisor's live view (work in progress included)
    # shows it, and the published view shows the name frozen at publication.
    html = page(client, supervisor, reverse("national_comparison") + "?in_progress=1")
    assert f"Audit {ESCAPED_SCRIPT}" in html
    assert_inert(html, SCRIPT)

    exported = client.get(reverse("national_comparison"), {"_export": "csv", "in_progress": "1"}).content.decode(
        "utf-8-sig"
    )
    rows = {row["Force"]: row for row in csv.DictReader(io.StringIO(exported))}
    # A file holds the text as typed: a spreadsheet shows it and does not run it.
    assert rows["Hampshire and Isle of Wight Constabulary"]["Latest audit"] == f"Audit {SCRIPT}"


def test_the_data_administration_pages_show_the_rationale_and_notes_as_text(client, hostile_demo, data_steward):
    incorrect = hostile_demo["incorrect"]

    for url in [
        reverse("admin:reviews_review_change", args=[incorrect.pk]),
        reverse("admin:reviews_review_changelist") + "?q=HC",
        reverse("admin:reviews_cancellationdecision_change", args=[incorrect.decision_id]),
    ]:
        html = page(client, data_steward, url)
        assert ESCAPED_SCRIPT in html, url
        assert_inert(html, SCRIPT)
