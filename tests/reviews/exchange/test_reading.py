"""Files that declare or hold more than they should, or bytes and cells that are not text: each is refused with
the service's own message, or read for what it really holds, the same way on the command line and in the data
administration upload."""

import random
import re
from html import unescape

import pytest

from reviews.exchange import workbooks
from reviews.imports.runner import import_job_run
from reviews.models import CancellationDecision, ImportJob, Review
from tests.factories import AuditFactory, DecisionFactory
from tests.reviews.exchange.importing import (
    LOADS,
    REVIEW_COLUMNS,
    cell_xml,
    csv_bytes,
    decision_row,
    review_row,
    row_xml,
    run_import,
    snapshot,
    start_over,
    workbook_bytes,
    write,
    xlsx_bytes,
)
from tests.reviews.exchange.test_admin_imports import DECISIONS_IMPORT, REVIEWS_IMPORT
from tests.reviews.exchange.test_admin_imports import upload as admin_upload

pytestmark = pytest.mark.django_db

# The largest sheet a spreadsheet program makes: the dimension a "bomb" declares, and its last row.
WHOLE_SHEET = "A1:XFD1048576"
LAST_ROW = 1_048_576
HEADER = list(decision_row())
SAVE_AS_CSV = "Save the file as CSV UTF-8 and try again."


def shown(message: str) -> str:
    """A row error as the job's page shows it, in a table of row, column, value and message: the message."""
    return re.sub(r"^row \d+(, \w+)?: ", "", message)


def upload(client, url_name, content: bytes, name="decisions.csv"):
    """The data administration's import of `content` as a check: the form's page when it refuses the file, else
    the page of the job it queued, once a worker has run it."""
    response = admin_upload(client, url_name, content, name, check_only="on")
    if response.status_code != 302:
        return response
    import_job_run(job_id=ImportJob.objects.latest("pk").pk)
    return client.get(response["Location"])


@pytest.fixture(params=LOADS)
def stored(request, db):
    start_over(request.param, request.getfixturevalue("monkeypatch"))
    return snapshot()


@pytest.fixture
def cells_read(monkeypatch):
    """The cells of a workbook turned into text so far, by coordinate; reading more than a sheet's own cells
    (its declared grid) fails the test at the first thousand instead of running for minutes."""
    seen = []
    convert = workbooks._xlsx_cell

    def counted(value, column, number):
        seen.append((number, column))
        assert len(seen) <= 1_000, "the reader is making cells the sheet does not hold"
        return convert(value, column, number)

    monkeypatch.setattr(workbooks, "_xlsx_cell", counted)
    return seen


def bomb(*last_cells: str, header_cells: tuple[str, ...] = (), data_cells: tuple[str, ...] = ()) -> bytes:
    """A few kilobytes declaring the whole sheet: a header, one decision, and a last row holding `last_cells`."""
    return workbook_bytes(
        row_xml(1, HEADER, *header_cells),
        row_xml(2, list(decision_row().values()), *data_cells),
        f'<row r="{LAST_ROW}">{"".join(last_cells)}</row>',
        dimension=WHOLE_SHEET,
    )


@pytest.mark.parametrize(
    "last_row",
    [(), (cell_xml(f"A{LAST_ROW}"),), (cell_xml(f"A{LAST_ROW}"), cell_xml(f"XFD{LAST_ROW}"))],
    ids=["empty row", "one empty cell", "empty cells to the last column"],
)
def test_a_workbook_declaring_the_whole_sheet_is_read_for_its_real_rows(tmp_path, cells_read, last_row):
    content = bomb(*last_row)
    assert len(content) < 5_000

    out, err, ok = run_import("import_decisions", write(tmp_path, content, "bomb.xlsx"), "--dry-run")

    assert ok, err
    assert "Dry run, nothing saved: 1 decisions read; 1 new, 0 updated, 0 unchanged." in out
    # The header and the one decision, eleven columns each: nothing of the million rows it declares.
    assert sorted({number for number, _ in cells_read}) == [1, 2]
    assert max(column for _, column in cells_read) == len(HEADER)
    assert not CancellationDecision.objects.exists()


def test_a_value_in_the_last_row_of_the_sheet_is_read_as_that_row(tmp_path, cells_read, stored):
    content = bomb(cell_xml(f"A{LAST_ROW}", "kent"))

    out, err, ok = run_import("import_decisions", write(tmp_path, content, "bomb.xlsx"), "--dry-run")

    assert not ok
    assert f"row {LAST_ROW}, crime_reference: is blank: a value is needed" in err
    assert "row 2" not in err
    assert sorted({number for number, _ in cells_read}) == [1, 2, LAST_ROW]
    assert snapshot() == stored


def test_a_value_far_right_of_the_header_refuses_the_workbook(tmp_path, cells_read, stored):
    content = bomb(header_cells=(cell_xml("XFD1", "notes"),))

    out, err, ok = run_import("import_decisions", write(tmp_path, content, "bomb.xlsx"), "--dry-run")

    assert not ok
    assert "The header row has a value in column XFD; a file may have at most 200 columns." in err
    assert cells_read == []
    assert snapshot() == stored


def test_values_right_of_the_header_in_a_record_are_not_read(tmp_path, cells_read):
    content = bomb(data_cells=(cell_xml("L2", "a note"), cell_xml("XFD2", "another")))

    out, err, ok = run_import("import_decisions", write(tmp_path, content, "bomb.xlsx"))

    assert ok, err
    assert CancellationDecision.objects.get().crime_record.reference == "NH/26/000001"
    assert max(column for _, column in cells_read) == len(HEADER)


def test_the_admin_upload_reads_the_same_workbook_for_its_real_rows(client, data_steward, cells_read):
    client.force_login(data_steward)

    page = upload(client, DECISIONS_IMPORT, bomb(cell_xml(f"XFD{LAST_ROW}")), "bomb.xlsx").content.decode()

    assert "1 row: 1 new (checked, nothing saved)" in page
    assert sorted({number for number, _ in cells_read}) == [1, 2]
    assert max(column for _, column in cells_read) == len(HEADER)
    assert not CancellationDecision.objects.exists()


def test_the_admin_upload_refuses_a_value_far_right_of_the_header(client, data_steward, cells_read):
    client.force_login(data_steward)

    response = upload(client, DECISIONS_IMPORT, bomb(header_cells=(cell_xml("XFD1", "x"),)), "bomb.xlsx")

    assert response.status_code == 200
    assert "a file may have at most 200 columns" in response.content.decode()
    assert not CancellationDecision.objects.exists()


def test_a_workbook_that_unpacks_to_far_more_than_the_size_limit_is_refused(tmp_path, settings, stored):
    settings.IMPORT_MAX_FILE_SIZE = 50_000
    content = workbook_bytes(row_xml(1, HEADER), row_xml(2, list(decision_row().values())), padding=600_000)
    assert len(content) < settings.IMPORT_MAX_FILE_SIZE

    out, err, ok = run_import("import_decisions", write(tmp_path, content, "decisions.xlsx"))

    assert not ok
    assert "The workbook unpacks to 0.6 MB, more than 10 times the largest file accepted (0.0 MB)." in err
    assert snapshot() == stored


def test_the_header_may_start_below_the_top_of_the_sheet(tmp_path):
    content = workbook_bytes(row_xml(3, HEADER), row_xml(5, list(decision_row(criterion="C9").values())))

    out, err, ok = run_import("import_decisions", write(tmp_path, content, "decisions.xlsx"))

    assert not ok
    assert 'row 5, criterion: "C9" is not one of C1-C5' in err


# Bytes that are not text.


def broken_utf8() -> tuple[bytes, str]:
    """A UTF-8 file whose fourth row (the second's cell running over two lines) has a byte UTF-8 never uses, and
    the message that names it."""
    rows = [
        decision_row(rationale="Café receipt:\nline two"),
        decision_row(crime_reference="NH/2"),
        decision_row(crime_reference="NH/3", rationale="Paid BAD in cash"),
    ]
    content = csv_bytes(rows).replace(b"BAD", b"\xff")
    bad = content.index(b"\xff")
    position = bad - content.rfind(b"\n", 0, bad)
    return content, f"Row 4: byte 0xff at position {position} is not text. {SAVE_AS_CSV}"


def test_a_byte_that_is_not_utf8_in_a_utf8_file_is_named_by_row_and_position(tmp_path, stored):
    content, message = broken_utf8()

    out, err, ok = run_import("import_decisions", write(tmp_path, content))

    assert not ok
    assert message in err
    assert "codec" not in err
    assert snapshot() == stored


def test_a_byte_windows_1252_leaves_undefined_is_named_by_row_and_position(tmp_path, stored):
    rows = [decision_row(rationale="Receipt for £12"), decision_row(crime_reference="NH/2", rationale="A\x81B")]
    content = csv_bytes(rows, encoding="latin-1")
    position = content.index(b"\x81") - content.rfind(b"\n", 0, content.index(b"\x81"))

    out, err, ok = run_import("import_decisions", write(tmp_path, content))

    assert not ok
    assert f"Row 3: byte 0x81 at position {position} is not text. {SAVE_AS_CSV}" in err
    assert snapshot() == stored


def test_a_byte_after_a_cell_too_long_to_read_is_named_by_its_place_in_the_file(tmp_path, stored):
    content = csv_bytes([decision_row(rationale="Café " + "a" * 140_000 + "BAD")]).replace(b"BAD", b"\xff")

    out, err, ok = run_import("import_decisions", write(tmp_path, content))

    assert not ok
    position = content.index(b"\xff") + 1
    assert f"Byte 0xff at position {position} of the file is not text. {SAVE_AS_CSV}" in err
    assert snapshot() == stored


def test_a_binary_file_named_csv_is_refused(tmp_path, stored):
    content = random.Random(14).randbytes(20_000)

    out, err, ok = run_import("import_decisions", write(tmp_path, content, "decisions.csv"))

    assert not ok
    assert "The file is neither a CSV file nor an XLSX workbook." in err
    assert snapshot() == stored


def test_a_nul_byte_in_a_cell_is_a_row_error_and_reaches_nothing(tmp_path, stored):
    rows = [
        decision_row(),
        decision_row(crime_reference="NH/2", rationale="Body\x00worn video"),
        decision_row(crime_reference="NH/3", criterion="C9"),
    ]

    out, err, ok = run_import("import_decisions", write(tmp_path, csv_bytes(rows)))

    assert not ok
    assert "row 3, rationale: holds a NUL byte (0x00) at character 5, which is not text; delete it" in err
    assert 'row 4, criterion: "C9" is not one of C1-C5' in err
    assert "Nothing was imported: the file has 2 errors." in err
    assert snapshot() == stored


def test_a_nul_byte_in_a_reviews_file_is_a_row_error(tmp_path, auditor):
    decision = DecisionFactory(crime_record__reference="NH/26/000001")
    AuditFactory(name="Imported audit 2026", force=decision.force, in_progress=True)
    content = csv_bytes([review_row(notes="Seen\x00")])

    out, err, ok = run_import("import_reviews", write(tmp_path, content, "reviews.csv"))

    assert not ok
    assert "row 2, notes: holds a NUL byte (0x00) at character 5" in err
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (broken_utf8()[0], broken_utf8()[1]),
        (
            csv_bytes([decision_row(rationale="Body\x00worn video")]),
            "row 2, rationale: holds a NUL byte (0x00) at character 5, which is not text",
        ),
    ],
    ids=["not UTF-8", "NUL byte"],
)
def test_the_admin_upload_names_bytes_that_are_not_text_the_same_way(client, data_steward, content, message):
    client.force_login(data_steward)

    response = upload(client, DECISIONS_IMPORT, content)

    assert response.status_code == 200
    assert shown(message) in unescape(response.content.decode())
    assert "Import now" not in response.content.decode()
    assert not CancellationDecision.objects.exists()


# Formulas.

FORMULA_NOT_SAVED = (
    "row 2, rationale: the cell K2 holds a formula with no saved value; "
    "open the file in a spreadsheet program, save it, and try again"
)


def test_a_formula_with_no_saved_value_is_a_row_error(tmp_path, stored):
    content = xlsx_bytes([decision_row(rationale='=CONCAT("Body-worn ", "video")')])

    out, err, ok = run_import("import_decisions", write(tmp_path, content, "decisions.xlsx"))

    assert not ok
    assert FORMULA_NOT_SAVED in err
    assert snapshot() == stored


def test_the_admin_upload_reports_a_formula_with_no_saved_value(client, data_steward):
    client.force_login(data_steward)
    content = xlsx_bytes([decision_row(rationale="=1+1")])

    page = upload(client, DECISIONS_IMPORT, content, "decisions.xlsx").content.decode()

    assert shown(FORMULA_NOT_SAVED) in unescape(page)
    assert not CancellationDecision.objects.exists()


def test_the_reviews_upload_reports_a_formula_with_no_saved_value(client, data_steward, auditor):
    decision = DecisionFactory(crime_record__reference="NH/26/000001")
    AuditFactory(name="Imported audit 2026", force=decision.force, in_progress=True)
    client.force_login(data_steward)
    content = xlsx_bytes([review_row(decision_correct="no", incorrect_reason="other", notes="=A1")])

    page = upload(client, REVIEWS_IMPORT, content, "reviews.xlsx").content.decode()

    assert shown("row 2, notes: the cell J2 holds a formula with no saved value") in unescape(page)
    assert not Review.objects.exists()


def test_a_formula_is_read_as_the_value_it_was_saved_with(tmp_path):
    values = list(decision_row(rationale="", offence_code="").values())
    content = workbook_bytes(
        row_xml(1, HEADER),
        row_xml(2, values[:3])[: -len("</row>")]
        + '<c r="D2" t="str"><f>""</f><v></v></c>'
        + "".join(cell_xml(f"{column}2", value) for column, value in zip("EFGHIJ", values[4:10], strict=True))
        + '<c r="K2" t="str"><f>"Body-worn "&amp;"video"</f><v>Body-worn video</v></c></row>',
    )

    out, err, ok = run_import("import_decisions", write(tmp_path, content, "decisions.xlsx"))

    assert ok, err
    decision = CancellationDecision.objects.get()
    assert decision.rationale == "Body-worn video"
    assert decision.crime_record.offence_code == ""


# The second row of a sheet that openpyxl's parser cannot read, each as a spreadsheet program never writes it.
DAMAGED_ROWS = {
    "sheet cut short": '<row r="2"><c r="A2"',
    "text in a number cell": '<row r="2"><c r="A2" t="n"><v>abc</v></c></row>',
    "shared text that does not exist": '<row r="2"><c r="A2" t="s"><v>999</v></c></row>',
    "row number that is not one": '<row r="x2">' + cell_xml("A2", "kent") + "</row>",
    "cell reference that is not one": '<row r="2">' + cell_xml("!!", "kent") + "</row>",
    "date cell that is not a date": '<row r="2"><c r="A2" t="d"><v>notadate</v></c></row>',
}
DAMAGED = 'The workbook is damaged: its sheet "Decisions" cannot be read after row 1. Open it in a spreadsheet program'


@pytest.mark.parametrize("damaged_row", DAMAGED_ROWS.values(), ids=DAMAGED_ROWS)
def test_a_damaged_sheet_is_refused_naming_the_last_row_read(tmp_path, stored, damaged_row):
    content = workbook_bytes(row_xml(1, HEADER), damaged_row)

    out, err, ok = run_import("import_decisions", write(tmp_path, content, "decisions.xlsx"))

    assert not ok
    assert f"decisions.xlsx: {DAMAGED}" in err
    assert snapshot() == stored


def test_a_sheet_cut_short_that_declares_no_dimension_is_refused_as_damaged(tmp_path, stored):
    content = workbook_bytes(row_xml(1, HEADER), DAMAGED_ROWS["sheet cut short"], dimension=None)

    out, err, ok = run_import("import_decisions", write(tmp_path, content, "decisions.xlsx"))

    assert not ok
    assert "decisions.xlsx: The workbook is damaged and cannot be read. Open it in a spreadsheet program" in err
    assert snapshot() == stored


def test_a_damaged_header_row_is_refused_as_damaged(tmp_path, stored):
    content = workbook_bytes('<row r="1"><c r="A1" t="n"><v>force</v></c></row>')

    out, err, ok = run_import("import_decisions", write(tmp_path, content, "decisions.xlsx"))

    assert not ok
    assert 'The workbook is damaged: its sheet "Decisions" cannot be read. Open it in a spreadsheet program' in err
    assert snapshot() == stored


def test_a_damaged_reviews_sheet_is_refused_on_the_command_line_and_in_the_upload(tmp_path, client, data_steward):
    decision = DecisionFactory(crime_record__reference="NH/26/000001")
    AuditFactory(name="Imported audit 2026", force=decision.force, in_progress=True)
    content = workbook_bytes(
        row_xml(1, REVIEW_COLUMNS), row_xml(2, list(review_row().values())), DAMAGED_ROWS["text in a number cell"]
    )
    client.force_login(data_steward)

    out, err, ok = run_import("import_reviews", write(tmp_path, content, "reviews.xlsx"))
    page = unescape(upload(client, REVIEWS_IMPORT, content, "reviews.xlsx").content.decode())

    assert not ok
    words = 'its sheet "Decisions" cannot be read after row 2. Open it in a spreadsheet program, save it as XLSX'
    assert f"reviews.xlsx: The workbook is damaged: {words}" in err
    assert words in page
    assert not Review.objects.exists()
