"""`manage.py import_decisions`: a force's extract in, every rule checked, all or nothing.

On SQLite these tests run the batched path, on PostgreSQL the COPY path: the suite runs on both."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.exchange.reading import ERROR_CAP
from reviews.models import CancellationDecision, CrimeRecord, Criterion, Outcome
from tests.factories import AuditFactory, ReviewFactory, force, sign_off
from tests.reviews.exchange.importing import (
    LOADS,
    csv_bytes,
    decision_row,
    run_import,
    snapshot,
    start_over,
    write,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def import_rows(tmp_path, rows, *args, **csv_options):
    return run_import("import_decisions", write(tmp_path, csv_bytes(rows, **csv_options)), *args)


def test_an_extract_creates_crime_records_and_decisions(tmp_path):
    rows = [
        decision_row(),
        decision_row(
            crime_reference="NH/26/000002",
            outcome="transferred",
            criterion="C1",
            receiving_force="Kent Police",
            offence_category="Robbery",
            offence_code="34b",
        ),
    ]

    out, err, ok = import_rows(tmp_path, rows)

    assert ok, err
    assert "Imported 2 decisions: 2 new, 0 updated, 0 unchanged." in out
    transfer = CancellationDecision.objects.get(crime_record__reference="NH/26/000002")
    assert transfer.outcome == Outcome.TRANSFERRED
    assert transfer.receiving_force == force("kent")
    assert transfer.crime_record.offence_category == "robbery"
    assert transfer.crime_record.offence_code == "34B"
    # The decision's copies of its crime record's force and date, which the database's own checks rely on.
    assert transfer.force == force("northamptonshire")
    assert transfer.recorded_on == date(2026, 1, 10)


def test_labels_former_names_and_uk_dates_are_accepted(tmp_path):
    row = decision_row(
        force="HAMPSHIRE CONSTABULARY",
        offence_category="Other sexual offences",
        criterion="Additional verifiable information shows that no notifiable crime occurred",
        outcome="Cancelled",
        authoriser_role="Force crime registrar",
        recorded_on="05/01/2026",
        decided_on="20/01/2026",
    )

    out, err, ok = import_rows(tmp_path, [row])

    assert ok, err
    decision = CancellationDecision.objects.get()
    assert decision.force.code == "hampshire"
    assert (decision.criterion, decision.authoriser_role) == (Criterion.C2, "fcr")
    assert decision.crime_record.offence_category == "other_sexual"
    assert (decision.recorded_on, decision.decided_on) == (date(2026, 1, 5), date(2026, 1, 20))


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    rows = [decision_row(crime_reference=f"NH/26/{number:06d}") for number in range(5)]
    import_rows(tmp_path, rows)
    before = snapshot()

    out, err, ok = import_rows(tmp_path, rows)

    assert ok, err
    assert "5 decisions: 0 new, 0 updated, 5 unchanged." in out
    assert snapshot() == before


def test_a_changed_row_updates_the_decision_and_its_copies(tmp_path):
    import_rows(tmp_path, [decision_row(), decision_row(crime_reference="NH/26/000002")])

    out, err, ok = import_rows(
        tmp_path,
        [decision_row(recorded_on="2026-01-20", criterion="C4"), decision_row(crime_reference="NH/26/000002")],
    )

    assert ok, err
    assert "0 new, 1 updated, 1 unchanged" in out
    decision = CancellationDecision.objects.get(crime_record__reference="NH/26/000001")
    assert decision.criterion == "C4"
    assert decision.recorded_on == decision.crime_record.recorded_on == date(2026, 1, 20)


def test_a_crime_record_without_a_decision_gets_one(tmp_path):
    CrimeRecord.objects.create(
        force=force(), reference="NH/26/000001", offence_category="violence", recorded_on=date(2026, 1, 10)
    )

    out, err, ok = import_rows(tmp_path, [decision_row()])

    assert ok, err
    assert "1 new" in out
    assert CancellationDecision.objects.get().crime_record.reference == "NH/26/000001"


def test_a_dry_run_reports_the_counts_and_saves_nothing(tmp_path):
    out, err, ok = import_rows(tmp_path, [decision_row()], "--dry-run")

    assert ok, err
    assert "Dry run, nothing saved: 1 decisions read; 1 new, 0 updated, 0 unchanged." in out
    assert not CrimeRecord.objects.exists()


# --- Bad input: a clear message, and nothing written ---------------------------------------------------------


@pytest.fixture(params=LOADS)
def stored(request, db):
    """What is stored before the file comes, so that "nothing written" also means "nothing changed"."""
    start_over(request.param, request.getfixturevalue("monkeypatch"))
    return snapshot()


ROW_ERRORS = [
    (decision_row(criterion="C9"), 'row 2, criterion: "C9" is not one of C1-C5'),
    (decision_row(outcome="transferred", criterion="C2"), 'row 2: outcome "transferred" needs criterion C1'),
    (decision_row(force="Hampshire Police"), 'row 2, force: no force called "Hampshire Police"'),
    (decision_row(criterion="C1"), 'row 2: outcome "cancelled" needs criterion C2, C3, C4 or C5, not C1'),
    (
        decision_row(outcome="transferred", criterion="C1"),
        "row 2, receiving_force: is blank: a transfer needs the force that received it",
    ),
    (
        decision_row(outcome="transferred", criterion="C1", receiving_force="Northamptonshire Police"),
        'row 2, receiving_force: "Northamptonshire Police" is the force that recorded the crime',
    ),
    (
        decision_row(receiving_force="kent"),
        'row 2, receiving_force: "kent" given for a cancellation: only a transfer has one',
    ),
    (
        decision_row(decided_on="2026-01-09"),
        'row 2, decided_on: "2026-01-09" is before the crime was recorded (2026-01-10)',
    ),
    (decision_row(recorded_on="31/02/2026"), 'row 2, recorded_on: "31/02/2026" is not a date'),
    (decision_row(offence_category="burglary"), 'row 2, offence_category: "burglary" is not one of rape, other_sexual'),
    (decision_row(crime_reference=""), "row 2, crime_reference: is blank: a value is needed"),
    (decision_row(crime_reference="X" * 51), 'row 2, crime_reference: "XXXXXXXXXXXXXXXXXXXX..." is longer than 50'),
    (decision_row(authoriser_role="sergeant"), 'row 2, authoriser_role: "sergeant" is not one of ddm, fcr, other'),
]


@pytest.mark.parametrize(("row", "message"), ROW_ERRORS, ids=[message[:40] for _, message in ROW_ERRORS])
def test_a_row_error_names_row_column_value_and_rule(tmp_path, stored, row, message):
    out, err, ok = import_rows(tmp_path, [row])

    assert not ok
    assert message in err
    assert "Nothing was imported: the file has 1 error." in err
    assert snapshot() == stored


def test_every_row_error_is_reported_not_just_the_first(tmp_path, stored):
    rows = [
        decision_row(crime_reference="NH/1"),
        decision_row(crime_reference="NH/2", criterion="C9"),
        decision_row(crime_reference="NH/3", outcome="transferred"),
        decision_row(crime_reference="NH/4", force="Hampshire Police"),
    ]

    out, err, ok = import_rows(tmp_path, rows)

    assert not ok
    assert 'row 3, criterion: "C9" is not one of C1-C5' in err
    assert 'row 4: outcome "transferred" needs criterion C1' in err
    assert 'row 5, force: no force called "Hampshire Police"' in err
    assert "the file has 3 errors" in err
    assert snapshot() == stored


def test_a_row_breaking_several_rules_gets_each_message_in_column_order(tmp_path, stored):
    row = decision_row(outcome="transferred", criterion="C2", decided_on="2026-01-01", force="Nowhere")

    out, err, ok = import_rows(tmp_path, [row])

    assert not ok
    lines = [line for line in err.splitlines() if line.startswith("row 2")]
    assert lines == [
        'row 2, force: no force called "Nowhere"',
        'row 2: outcome "transferred" needs criterion C1',
        'row 2, decided_on: "2026-01-01" is before the crime was recorded (2026-01-10)',
    ]
    assert snapshot() == stored


def test_errors_past_the_cap_are_counted(tmp_path, stored):
    rows = [decision_row(crime_reference=f"NH/{number}", criterion="C9") for number in range(ERROR_CAP + 30)]

    out, err, ok = import_rows(tmp_path, rows)

    assert not ok
    assert err.count("is not one of C1-C5") == ERROR_CAP
    assert "... and 30 more errors not listed." in err
    assert f"the file has {ERROR_CAP + 30} errors" in err
    assert snapshot() == stored


def test_a_reference_repeated_in_the_file_is_reported(tmp_path, stored):
    rows = [decision_row(), decision_row(crime_reference="NH/26/000002"), decision_row(criterion="C3")]

    out, err, ok = import_rows(tmp_path, rows)

    assert not ok
    assert 'row 4, crime_reference: "NH/26/000001" is already in row 2 for the same force' in err
    assert snapshot() == stored


def test_the_same_reference_in_two_forces_is_two_crimes(tmp_path):
    rows = [decision_row(), decision_row(force="kent")]

    out, err, ok = import_rows(tmp_path, rows)

    assert ok, err
    assert CrimeRecord.objects.filter(reference="NH/26/000001").count() == 2


def test_missing_required_columns_are_named(tmp_path, stored):
    row = decision_row()
    columns = [column for column in row if column not in ("criterion", "decided_on")]

    out, err, ok = import_rows(tmp_path, [row], columns=columns)

    assert not ok
    assert "The file is missing required columns: decided_on, criterion." in err
    assert snapshot() == stored


def test_unknown_columns_are_listed_and_ignored_and_optional_ones_may_be_left_out(tmp_path):
    row = {**decision_row(), "victim_name": "not stored", "Officer": "x"}
    del row["rationale"]

    out, err, ok = import_rows(tmp_path, [row])

    assert ok, err
    assert "Unknown columns were ignored: victim_name, Officer." in out
    assert CancellationDecision.objects.get().rationale == ""


def test_an_empty_file_is_refused(tmp_path, stored):
    out, err, ok = run_import("import_decisions", write(tmp_path, b""))

    assert not ok
    assert "decisions.csv: The file is empty." in err
    assert snapshot() == stored


def test_a_file_with_only_blank_lines_is_refused(tmp_path, stored):
    out, err, ok = run_import("import_decisions", write(tmp_path, b"\r\n\r\n"))

    assert not ok
    assert "has no header row" in err
    assert snapshot() == stored


def test_a_file_with_a_header_and_no_records_is_refused(tmp_path, stored):
    out, err, ok = run_import("import_decisions", write(tmp_path, csv_bytes([])))

    assert not ok
    assert "The file has a header row but no records under it." in err
    assert snapshot() == stored


def test_a_file_that_is_neither_csv_nor_xlsx_is_refused(tmp_path, stored):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"

    out, err, ok = run_import("import_decisions", write(tmp_path, png, "photo.png"))

    assert not ok
    assert "The file is neither a CSV file nor an XLSX workbook." in err
    assert snapshot() == stored


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path, stored):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")

    out, err, ok = run_import("import_decisions", write(tmp_path, buffer.getvalue(), "decisions.xlsx"))

    assert not ok
    assert "The file is neither a CSV file nor an XLSX workbook." in err
    assert snapshot() == stored


def test_a_windows_1252_file_is_read_and_said_so(tmp_path):
    row = decision_row(rationale="Victim's café receipt (£12) shows the item was paid for.")

    out, err, ok = import_rows(tmp_path, [row], encoding="cp1252")

    assert ok, err
    assert "read as Windows-1252" in out
    assert CancellationDecision.objects.get().rationale == "Victim's café receipt (£12) shows the item was paid for."


def test_a_semicolon_separated_file_is_read_and_said_so(tmp_path):
    content = csv_bytes([decision_row(rationale="Seen on CCTV, no offence")]).decode()
    semicolons = content.replace(",", ";").replace("CCTV; no", "CCTV, no")

    out, err, ok = run_import("import_decisions", write(tmp_path, semicolons.encode()))

    assert ok, err
    assert "The columns are separated by semicolons" in out
    assert CancellationDecision.objects.get().rationale == "Seen on CCTV, no offence"


def test_a_utf8_file_with_a_byte_order_mark_is_read(tmp_path):
    out, err, ok = import_rows(tmp_path, [decision_row(rationale="Café")], encoding="utf-8-sig")

    assert ok, err
    assert CancellationDecision.objects.get().rationale == "Café"
    assert "Windows-1252" not in out


def test_an_xlsx_workbook_is_read_from_its_first_sheet_and_said_so(tmp_path):
    content = xlsx_bytes([decision_row()], extra_sheets=("Notes", "Lookups"))

    out, err, ok = run_import("import_decisions", write(tmp_path, content, "decisions.xlsx"))

    assert ok, err
    assert 'The workbook has 3 sheets: only the first, "Decisions", was read' in out
    assert CancellationDecision.objects.get().crime_record.reference == "NH/26/000001"


def test_a_file_over_the_size_limit_is_refused(tmp_path, stored, settings):
    settings.IMPORT_MAX_FILE_SIZE = 1024 * 1024
    rows = [decision_row(crime_reference=f"NH/{number}", rationale="x" * 1000) for number in range(1100)]

    out, err, ok = import_rows(tmp_path, rows)

    assert not ok
    assert "the largest file accepted is 1.0 MB" in err
    assert snapshot() == stored


def test_a_missing_file_is_a_message(tmp_path):
    out, err, ok = run_import("import_decisions", tmp_path / "nowhere.csv")

    assert not ok
    assert "No such file" in err


def test_a_decision_judged_in_a_signed_off_audit_cannot_change(tmp_path, supervisor):
    audit = AuditFactory(name="Signed off 2026")
    review = ReviewFactory(audit=audit, decision__crime_record__reference="NH/26/000001")
    sign_off(audit, by=supervisor)
    stored = snapshot()
    same = decision_row(rationale=review.decision.rationale)

    assert import_rows(tmp_path, [same])[2], "repeating the decision unchanged is fine"
    out, err, ok = import_rows(tmp_path, [decision_row(criterion="C4")])

    assert not ok
    assert 'row 2, crime_reference: "NH/26/000001" is reviewed in the signed-off audit "Signed off 2026"' in err
    assert snapshot() == stored


@pytest.mark.parametrize("load", LOADS)
def test_the_number_of_queries_does_not_grow_with_the_rows(tmp_path, monkeypatch, load):
    counts = []
    for size in (5, 60):
        start_over(load, monkeypatch)
        rows = [decision_row(crime_reference=f"{size}/{number}") for number in range(size)]
        path = write(tmp_path, csv_bytes(rows))
        with CaptureQueriesContext(connection) as queries:
            assert run_import("import_decisions", path)[2]
        counts.append(len(queries))
        assert CancellationDecision.objects.filter(crime_record__reference__startswith=f"{size}/").count() == size

    assert counts[0] == counts[1]
