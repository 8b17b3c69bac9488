"""Exports: decisions, reviews and audit results as CSV and XLSX, only what the user may see, and back in again."""

import csv
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from reviews.exchange import exports
from reviews.exchange.exports import DECISION_FIELDS
from reviews.exchange.reading import DECISION_FILE, REVIEW_FILE
from reviews.models import AuditStatus, CancellationDecision, CrimeRecord, Review, ReviewStatus, Verdict
from reviews.results.publishing import audit_publish
from reviews.workflow.services import audit_reopen
from tests.factories import AuditFactory, DecisionFactory, ReviewFactory, force, sign_off
from tests.reviews.exchange.importing import run_import, snapshot, write

pytestmark = pytest.mark.django_db


def download(client, table, file_format="csv", query=None):
    return client.get(reverse("export", args=[table, file_format]), query or {})


def csv_rows(response) -> list[dict]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[dict]:
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).worksheets[0]
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def decisions():
    return [
        DecisionFactory(crime_record__reference="NH/26/000001"),
        DecisionFactory(crime_record__reference="NH/26/000002", transfer=True),
        DecisionFactory(crime_record__reference='=HYPERLINK("http://example.org")', rationale="+44 called; -1 @home"),
    ]


def test_decisions_export_as_csv_in_the_import_columns(client, auditor, decisions):
    client.force_login(auditor)

    response = download(client, "decisions")

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="decisions-' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert list(rows[0]) == list(DECISION_FILE.columns)
    transfer = next(row for row in rows if row["crime_reference"] == "NH/26/000002")
    assert transfer["receiving_force"] == "kent"
    assert (transfer["outcome"], transfer["criterion"], transfer["recorded_on"]) == ("transferred", "C1", "2026-01-10")


def test_formula_like_cells_are_escaped(client, auditor, decisions):
    client.force_login(auditor)

    rows = csv_rows(download(client, "decisions"))

    escaped = next(row for row in rows if "HYPERLINK" in row["crime_reference"])
    assert escaped["crime_reference"] == '\'=HYPERLINK("http://example.org")'
    assert escaped["rationale"] == "'+44 called; -1 @home"
    xlsx = xlsx_rows(download(client, "decisions", "xlsx"))
    assert next(row for row in xlsx if "HYPERLINK" in row["crime_reference"])["crime_reference"].startswith("'=")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_reimport_gives_identical_records(client, auditor, decisions, tmp_path, file_format):
    client.force_login(auditor)
    response = download(client, "decisions", file_format)
    content = b"".join(response.streaming_content)
    before = snapshot()

    out, err, ok = run_import("import_decisions", write(tmp_path, content, f"decisions.{file_format}"))
    assert ok, err
    assert "0 new, 0 updated, 3 unchanged" in out
    assert snapshot() == before

    stored = sorted(CancellationDecision.objects.values_list(*DECISION_FIELDS))
    CancellationDecision.objects.all().delete()
    CrimeRecord.objects.all().delete()
    out, err, ok = run_import("import_decisions", write(tmp_path, content, f"decisions.{file_format}"))

    assert ok, err
    assert "3 new" in out
    assert sorted(CancellationDecision.objects.values_list(*DECISION_FIELDS)) == stored


def test_reviews_export_then_reimport_reports_everything_unchanged(client, supervisor, tmp_path):
    audit = AuditFactory(name="Round trip", status=AuditStatus.IN_PROGRESS)
    ReviewFactory(
        audit=audit,
        status=ReviewStatus.SUBMITTED,
        decision_correct=Verdict.NO,
        incorrect_reason="wrong_criterion",
        notes="=1+1 is not a reason",
        victim_should_be_informed=True,
        victim_informed="no",
    )
    ReviewFactory(
        audit=audit,
        status=ReviewStatus.SUBMITTED,
        decision_correct=Verdict.YES,
        victim_should_be_informed=False,
        no_need_to_inform_reason="already_told",
    )
    client.force_login(supervisor)
    response = download(client, "reviews", query={"audit": audit.pk})
    content = b"".join(response.streaming_content)
    assert list(csv_rows_from(content)[0]) == list(REVIEW_FILE.columns)
    before = snapshot()

    out, err, ok = run_import("import_reviews", write(tmp_path, content, "reviews.csv"))

    assert ok, err
    assert "0 new, 0 updated, 2 unchanged" in out
    assert snapshot() == before


def csv_rows_from(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_audit_results_count_each_category_in_sql(client, supervisor):
    audit = AuditFactory(name="Results")
    finished = {"status": ReviewStatus.APPROVED, "victim_should_be_informed": True}
    ReviewFactory(audit=audit, decision_correct=Verdict.YES, victim_informed="yes", **finished)
    ReviewFactory(
        audit=audit, decision_correct=Verdict.NO, incorrect_reason="other", notes="x", victim_informed="no", **finished
    )
    ReviewFactory(audit=audit, decision_correct=Verdict.CANNOT_TELL, victim_informed="no_record", **finished)
    ReviewFactory(audit=audit)  # still to do: not a result yet
    client.force_login(supervisor)

    rows = csv_rows(download(client, "results", query={"audit": audit.pk}))

    assert rows == [
        {
            "force": "northamptonshire",
            "audit": "Results",
            "audit_status": "planning",
            "offence_category": "violence",
            "decisions_reviewed": "3",
            "correct": "1",
            "incorrect": "1",
            "cannot_tell": "1",
            "victims_who_should_have_been_informed": "3",
            "victims_informed": "1",
            "victims_not_informed": "2",
        }
    ]


def test_a_force_contact_exports_only_their_forces_published_results(client, force_contact, supervisor):
    own = AuditFactory(name="Own published", status=AuditStatus.IN_PROGRESS)
    ReviewFactory(audit=own)
    sign_off(own, by=supervisor)
    audit_publish(audit=own, by=supervisor)
    ReviewFactory(audit=AuditFactory(name="Own in progress", status=AuditStatus.IN_PROGRESS))
    # Signed off again after a change, the correction not yet published: not the force's to read yet.
    corrected = AuditFactory(name="Own corrected", status=AuditStatus.IN_PROGRESS)
    ReviewFactory(audit=corrected)
    sign_off(corrected, by=supervisor)
    audit_publish(audit=corrected, by=supervisor)
    audit_reopen(audit=corrected, by=supervisor, reason="A verdict to change.")
    sign_off(corrected, by=supervisor)
    kent = AuditFactory(name="Kent signed off", force=force("kent"), status=AuditStatus.IN_PROGRESS)
    ReviewFactory(audit=kent)
    sign_off(kent, by=supervisor)
    audit_publish(audit=kent, by=supervisor)
    client.force_login(force_contact)

    reviews = csv_rows(download(client, "reviews"))

    assert {row["audit"] for row in reviews} == {"Own published"}
    assert download(client, "results", query={"audit": corrected.pk}).status_code == 404
    assert [row["auditor"] for row in reviews] == [""], "force contacts do not learn who reviewed what"
    assert download(client, "decisions").status_code == 403
    assert download(client, "reviews", query={"audit": kent.pk}).status_code == 404
    assert download(client, "results", query={"audit": kent.pk}).status_code == 404


def test_someone_without_a_role_may_export_nothing(client, decisions):
    from tests.factories import UserFactory

    client.force_login(UserFactory())

    for table in ("decisions", "reviews", "results"):
        assert download(client, table).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = download(client, "decisions")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_table_or_format_is_not_found(client, auditor):
    client.force_login(auditor)

    assert client.get("/export/victims.csv").status_code == 404
    assert client.get("/export/decisions.pdf").status_code == 404


def test_filters_come_from_the_query_string(client, auditor, decisions):
    DecisionFactory(crime_record__reference="KP/1", crime_record__force=force("kent"))
    client.force_login(auditor)

    kent = csv_rows(download(client, "decisions", query={"force": "Kent Police"}))
    transfers = csv_rows(download(client, "decisions", query={"criterion": "C1"}))
    bad = download(client, "decisions", query={"decided_from": "yesterday"})

    assert [row["crime_reference"] for row in kent] == ["KP/1"]
    assert [row["crime_reference"] for row in transfers] == ["NH/26/000002"]
    assert bad.status_code == 400
    assert "decided_from" in bad.content.decode()


def test_the_csv_streams_a_chunk_at_a_time(client, auditor, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_ROWS", 10)
    for number in range(35):
        DecisionFactory(crime_record__reference=f"S/{number:03d}")
    client.force_login(auditor)

    chunks = download(client, "decisions").streaming_content
    header = next(chunks)
    first = next(chunks)

    assert header.decode("utf-8-sig").startswith("force,crime_reference")
    assert first.decode().count("\r\n") == 10
    assert sum(chunk.decode().count("\r\n") for chunk in chunks) == 25


@pytest.mark.parametrize("table", ["decisions", "reviews", "results"])
def test_export_queries_do_not_grow_with_the_rows(client, supervisor, table):
    client.force_login(supervisor)
    counts = []
    for size in (2, 25):
        audit = AuditFactory()
        ReviewFactory.create_batch(size, audit=audit)
        with CaptureQueriesContext(connection) as queries:
            b"".join(
                download(client, table, query={} if table == "decisions" else {"audit": audit.pk}).streaming_content
            )
        counts.append(len(queries))

    assert counts[0] == counts[1]


@pytest.mark.parametrize("table", ["decisions", "reviews"])
def test_blank_templates_download_with_the_format_columns(client, auditor, table):
    client.force_login(auditor)
    columns = list({"decisions": DECISION_FILE, "reviews": REVIEW_FILE}[table].columns)

    as_csv = client.get(reverse("import_template", args=[table, "csv"]))
    as_xlsx = client.get(reverse("import_template", args=[table, "xlsx"]))

    assert as_csv.content.decode("utf-8-sig").strip() == ",".join(columns)
    sheet = load_workbook(io.BytesIO(b"".join(as_xlsx.streaming_content))).worksheets[0]
    assert [cell.value for cell in sheet[1]] == columns
    assert sheet.max_row == 1


def test_the_start_page_links_to_the_downloads_a_user_may_have(client, auditor, force_contact):
    client.force_login(auditor)
    page = client.get(reverse("home")).content.decode()
    assert reverse("export", args=["decisions", "csv"]) in page
    assert reverse("export", args=["results", "xlsx"]) in page

    client.force_login(force_contact)
    page = client.get(reverse("home")).content.decode()
    assert reverse("export", args=["decisions", "csv"]) not in page
    assert reverse("export", args=["reviews", "csv"]) in page


def test_review_exports_keep_only_primary_reviews(client, supervisor):
    audit = AuditFactory()
    primary = ReviewFactory(audit=audit)
    ReviewFactory(audit=audit, decision=primary.decision, kind="second", primary_review=primary)
    client.force_login(supervisor)

    assert len(csv_rows(download(client, "reviews", query={"audit": audit.pk}))) == 1
    assert Review.objects.count() == 2
