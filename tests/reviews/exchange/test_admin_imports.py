"""The data steward's import and export in the data administration pages: upload, dry run with counts, confirm."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reviews.exchange.reviews import REOPEN_REASON
from reviews.models import Audit, CancellationDecision, Review, ReviewStatus
from tests.factories import AuditFactory, DecisionFactory, ReviewFactory, sign_off
from tests.reviews.exchange.importing import (
    REVIEW_COLUMNS,
    csv_bytes,
    decision_row,
    review_row,
    run_import,
    snapshot,
    write,
)

pytestmark = pytest.mark.django_db

DECISIONS_IMPORT = "admin:reviews_cancellationdecision_import"
DECISIONS_CONFIRM = "admin:reviews_cancellationdecision_process_import"
REVIEWS_IMPORT = "admin:reviews_review_import"
REVIEWS_CONFIRM = "admin:reviews_review_process_import"


def upload(client, url_name, content: bytes, name="decisions.csv"):
    return client.post(
        reverse(url_name), {"format": "0", "resource": "0", "import_file": SimpleUploadedFile(name, content)}
    )


def confirm(client, url_name, dry_run):
    form = dry_run.context["confirm_form"]
    return client.post(reverse(url_name), {name: form.initial[name] for name in form.fields})


def test_the_import_page_offers_blank_templates(client, data_steward):
    client.force_login(data_steward)

    page = client.get(reverse(DECISIONS_IMPORT)).content.decode()

    assert reverse("import_template", args=["decisions", "csv"]) in page
    assert reverse("import_template", args=["decisions", "xlsx"]) in page


def test_a_steward_previews_the_counts_then_confirms(client, data_steward):
    DecisionFactory(crime_record__reference="NH/26/000003")
    rows = [
        decision_row(),
        decision_row(crime_reference="NH/26/000002", force="Northamptonshire Police"),
        decision_row(crime_reference="NH/26/000003", criterion="C4", rationale="Recorded in error."),
    ]
    client.force_login(data_steward)

    dry_run = upload(client, DECISIONS_IMPORT, csv_bytes(rows))

    assert "New: 2, updated: 1, unchanged: 0, invalid: 0." in dry_run.content.decode()
    assert CancellationDecision.objects.count() == 1
    response = confirm(client, DECISIONS_CONFIRM, dry_run)
    assert response.status_code == 302
    assert CancellationDecision.objects.count() == 3
    assert CancellationDecision.objects.get(crime_record__reference="NH/26/000003").criterion == "C4"

    again = upload(client, DECISIONS_IMPORT, csv_bytes(rows))
    assert "New: 0, updated: 0, unchanged: 3, invalid: 0." in again.content.decode()


def test_row_errors_read_as_they_do_on_the_command_line(client, data_steward, tmp_path):
    rows = [
        decision_row(criterion="C9"),
        decision_row(crime_reference="NH/2", outcome="transferred", criterion="C2"),
        decision_row(crime_reference="NH/3", force="Hampshire Police"),
        decision_row(crime_reference="NH/3"),
    ]
    content = csv_bytes(rows)
    before = snapshot()
    client.force_login(data_steward)

    page = upload(client, DECISIONS_IMPORT, content).content.decode().replace("&quot;", '"')
    command_errors = run_import("import_decisions", write(tmp_path, content))[1]

    for message in (
        'row 2, criterion: "C9" is not one of C1-C5',
        'row 3: outcome "transferred" needs criterion C1',
        'row 4, force: no force called "Hampshire Police"',
    ):
        assert message in page
        assert message in command_errors
    assert "invalid: 3" in page
    assert "Confirm import" not in page
    assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "The submitted file is empty."),
        (b"force,crime_reference\r\nkent,1\r\n", "short.csv", "The file is missing required columns"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", "The file is neither a CSV file nor an XLSX workbook."),
        (csv_bytes([]), "header.csv", "The file has a header row but no records under it."),
    ],
)
def test_a_bad_file_is_a_message_on_the_form(client, data_steward, content, name, message):
    client.force_login(data_steward)

    response = upload(client, DECISIONS_IMPORT, content, name)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert not CancellationDecision.objects.exists()


def test_a_file_over_the_size_limit_is_refused_in_the_admin_too(client, data_steward, settings):
    settings.IMPORT_MAX_FILE_SIZE = 100
    client.force_login(data_steward)

    response = upload(client, DECISIONS_IMPORT, csv_bytes([decision_row()]))

    assert "the largest file accepted is 0.0 MB" in response.content.decode()
    assert not CancellationDecision.objects.exists()


def test_notices_show_with_the_preview(client, data_steward):
    client.force_login(data_steward)
    rows = [{**decision_row(), "victim_name": "ignored"}]

    page = upload(client, DECISIONS_IMPORT, csv_bytes(rows, encoding="cp1252")).content.decode()

    assert "Unknown columns were ignored: victim_name." in page


def test_a_steward_imports_a_completed_audit(client, data_steward, auditor):
    DecisionFactory(crime_record__reference="NH/26/000001")
    client.force_login(data_steward)

    dry_run = upload(client, REVIEWS_IMPORT, csv_bytes([review_row()], REVIEW_COLUMNS), "reviews.csv")
    page = dry_run.content.decode().replace("&quot;", '"')
    assert "New: 1, updated: 0, unchanged: 0, invalid: 0." in page
    assert 'The audit "Imported audit 2026" of northamptonshire does not exist yet: it is created.' in page
    assert not Audit.objects.exists(), "the dry run creates nothing"

    confirm(client, REVIEWS_CONFIRM, dry_run)

    review = Review.objects.get()
    assert review.audit.name == "Imported audit 2026"
    assert review.status == ReviewStatus.SUBMITTED


def test_the_admin_refuses_reviews_for_a_signed_off_audit(client, data_steward, auditor, supervisor):
    audit = AuditFactory(name="Imported audit 2026")
    ReviewFactory(audit=audit, decision__crime_record__reference="NH/26/000001", status=ReviewStatus.TO_DO)
    sign_off(audit, by=supervisor)
    before = snapshot()
    client.force_login(data_steward)

    page = upload(client, REVIEWS_IMPORT, csv_bytes([review_row()], REVIEW_COLUMNS), "reviews.csv").content.decode()

    assert "is signed off: its reviews can no longer change" in page.replace("&quot;", '"')
    assert snapshot() == before


def test_the_admin_gives_reviews_only_to_auditors(client, data_steward, force_viewer):
    DecisionFactory(crime_record__reference="NH/26/000001")
    before = snapshot()
    client.force_login(data_steward)

    page = upload(client, REVIEWS_IMPORT, csv_bytes([review_row(auditor="viewer")], REVIEW_COLUMNS), "reviews.csv")

    text = page.content.decode().replace("&quot;", '"')
    assert 'row 2, auditor: "viewer" does not have the auditor role' in text
    assert "Confirm import" not in text
    assert snapshot() == before


@pytest.fixture
def approved(auditor):
    audit = AuditFactory(name="Imported audit 2026")
    return ReviewFactory(
        audit=audit,
        decision__crime_record__reference="NH/26/000001",
        auditor=auditor,
        status=ReviewStatus.APPROVED,
        decision_correct="yes",
        victim_should_be_informed=True,
        victim_informed="yes",
    )


def test_the_admin_leaves_an_approved_review_as_it_is_unless_asked(client, data_steward, approved):
    content = csv_bytes([review_row(decision_correct="cannot_tell")], REVIEW_COLUMNS)
    before = snapshot()
    client.force_login(data_steward)

    page = upload(client, REVIEWS_IMPORT, content, "reviews.csv").content.decode().replace("&quot;", '"')

    assert 'row 2: the review of "NH/26/000001" in "Imported audit 2026" is approved and the file changes it' in page
    assert snapshot() == before

    dry_run = client.post(
        reverse(REVIEWS_IMPORT),
        {
            "format": "0",
            "resource": "0",
            "import_file": SimpleUploadedFile("reviews.csv", content),
            "reopen_approved": "on",
        },
    )
    assert "New: 0, updated: 1, unchanged: 0, invalid: 0." in dry_run.content.decode()
    approved.refresh_from_db()
    assert approved.status == ReviewStatus.APPROVED, "the dry run changes nothing"

    confirm(client, REVIEWS_CONFIRM, dry_run)

    approved.refresh_from_db()
    assert (approved.status, approved.decision_correct) == (ReviewStatus.SUBMITTED, "cannot_tell")
    latest = approved.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (data_steward, REOPEN_REASON)


def test_only_data_stewards_see_the_import_page(client, supervisor):
    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)

    assert client.get(reverse(DECISIONS_IMPORT)).status_code == 403


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
