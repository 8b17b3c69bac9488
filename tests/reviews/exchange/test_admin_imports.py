"""The data steward's import and export in the data administration pages: the import buttons hand the file to the
import engine as a job (followed on its page, `tests/reviews/imports/`); the exports write the exchange formats."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reviews.models import ImportJob, ImportKind, ReviewStatus
from tests.factories import AuditFactory, ReviewFactory
from tests.reviews.exchange.importing import REVIEW_COLUMNS, csv_bytes, decision_row, review_row

pytestmark = pytest.mark.django_db

DECISIONS_IMPORT = "admin:reviews_cancellationdecision_import"
REVIEWS_IMPORT = "admin:reviews_review_import"


def upload(client, url_name, content: bytes, name="decisions.csv", **fields):
    return client.post(reverse(url_name), {"file": SimpleUploadedFile(name, content), **fields})


def test_the_change_list_leads_to_the_import_page(client, data_steward):
    client.force_login(data_steward)

    page = client.get(reverse("admin:reviews_cancellationdecision_changelist")).content.decode()

    assert f'href="{reverse(DECISIONS_IMPORT)}"' in page


def test_the_import_page_offers_blank_templates_and_checks_only_unless_told(client, data_steward):
    client.force_login(data_steward)

    decisions = client.get(reverse(DECISIONS_IMPORT)).content.decode()
    reviews = client.get(reverse(REVIEWS_IMPORT)).content.decode()

    assert reverse("import_template", args=["decisions", "csv"]) in decisions
    assert reverse("import_template", args=["decisions", "xlsx"]) in decisions
    assert 'name="check_only" aria-describedby="id_check_only_helptext" id="id_check_only" checked' in decisions
    assert "reopen_approved" not in decisions
    assert "Reopen approved reviews the file changes" in reviews


def test_an_upload_becomes_a_check_job_followed_on_its_page(client, data_steward):
    client.force_login(data_steward)

    response = upload(client, DECISIONS_IMPORT, csv_bytes([decision_row()]), check_only="on")

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:detail", args=[job.pk])
    assert (job.kind, job.check_only, job.created_by, job.file_name) == (
        ImportKind.DECISIONS,
        True,
        data_steward,
        "decisions.csv",
    )


def test_unticking_check_only_imports_and_a_reviews_file_keeps_the_reopen_choice(client, data_steward):
    client.force_login(data_steward)

    upload(client, REVIEWS_IMPORT, csv_bytes([review_row()], REVIEW_COLUMNS), "reviews.csv", reopen_approved="on")

    job = ImportJob.objects.get()
    assert (job.kind, job.check_only, job.reopen_approved) == (ImportKind.REVIEWS, False, True)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "The file is empty."), (csv_bytes([decision_row()] * 3), "the largest file accepted is 0.0 MB")],
)
def test_an_empty_or_oversized_file_is_a_message_on_the_form(client, data_steward, settings, content, message):
    settings.IMPORT_MAX_FILE_SIZE = 100
    client.force_login(data_steward)

    response = upload(client, DECISIONS_IMPORT, content, check_only="on")

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_no_file_is_a_message_on_the_form(client, data_steward):
    client.force_login(data_steward)

    response = client.post(reverse(DECISIONS_IMPORT), {"check_only": "on"})

    assert "Select a file to upload." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_only_data_stewards_see_the_import_page(client, supervisor):
    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)

    assert client.get(reverse(DECISIONS_IMPORT)).status_code == 403
    assert upload(client, DECISIONS_IMPORT, csv_bytes([decision_row()])).status_code == 403
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("url_name", "column"),
    [("admin:reviews_cancellationdecision_export", "rationale"), ("admin:reviews_review_export", "notes")],
)
def test_the_admin_exports_in_the_exchange_formats_with_formulas_escaped(client, data_steward, url_name, column):
    ReviewFactory(decision__rationale="=cmd|' /C calc'!A0", notes="@SUM(A1)")
    client.force_login(data_steward)
    form = client.get(reverse(url_name)).context["form"]
    fields = {name: "on" for name, field in form.fields.items() if field.initial is True}

    response = client.post(reverse(url_name), {"format": "0", "resource": "0", **fields})

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response.status_code == 200
    assert list(rows[0])[0] == "force"
    assert rows[0][column] in ("'=cmd|' /C calc'!A0", "'@SUM(A1)")


def test_the_admin_exports_audit_results(client, data_steward):
    audit = AuditFactory(name="Results in the admin")
    finished = {"status": ReviewStatus.APPROVED, "victim_should_be_informed": True}
    ReviewFactory(audit=audit, decision_correct="yes", victim_informed="yes", **finished)
    ReviewFactory(
        audit=audit, decision_correct="no", incorrect_reason="other", notes="x", victim_informed="no", **finished
    )
    ReviewFactory(audit=audit)
    client.force_login(data_steward)
    url = reverse("admin:reviews_audit_export")
    form = client.get(url).context["form"]
    fields = {name: "on" for name, field in form.fields.items() if field.initial is True}

    response = client.post(url, {"format": "0", "resource": "0", **fields})

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        {
            "force": "northamptonshire",
            "audit": "Results in the admin",
            "audit_status": "planning",
            "decisions_reviewed": "2",
            "correct": "1",
            "incorrect": "1",
            "cannot_tell": "0",
            "victims_who_should_have_been_informed": "2",
            "victims_informed": "1",
            "victims_not_informed": "1",
        }
    ]
