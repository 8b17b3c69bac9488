"""Helpers for the import and export tests: files in the exchange formats, and a snapshot of what is stored."""

import csv
import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from openpyxl.utils import get_column_letter

from reviews.exchange import appending
from reviews.exchange.reading import DECISION_FILE, REVIEW_FILE
from reviews.models import Audit, CancellationDecision, CrimeRecord, Review
from tests.factories import DecisionFactory, force


def decision_row(**overrides) -> dict[str, str]:
    row = {
        "force": "northamptonshire",
        "crime_reference": "NH/26/000001",
        "offence_category": "violence",
        "offence_code": "8N",
        "recorded_on": "2026-01-10",
        "decided_on": "2026-02-01",
        "outcome": "cancelled",
        "criterion": "C2",
        "authoriser_role": "ddm",
        "receiving_force": "",
        "rationale": "Body-worn video shows no offence took place.",
    }
    row.update(overrides)
    return row


def review_row(**overrides) -> dict[str, str]:
    row = {
        "force": "northamptonshire",
        "audit": "Imported audit 2026",
        "crime_reference": "NH/26/000001",
        "decision_correct": "yes",
        "incorrect_reason": "",
        "victim_should_be_informed": "yes",
        "no_need_to_inform_reason": "",
        "victim_informed": "yes",
        "auditor": "auditor",
        "notes": "",
    }
    row.update(overrides)
    return row


def csv_bytes(rows: list[dict], columns=None, *, encoding: str = "utf-8") -> bytes:
    columns = columns or (list(rows[0]) if rows else list(DECISION_FILE.columns))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[dict], *, extra_sheets: tuple[str, ...] = ()) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Decisions"
    columns = list(rows[0])
    sheet.append(columns)
    for row in rows:
        sheet.append([row[column] for column in columns])
    for title in extra_sheets:
        workbook.create_sheet(title).append(["anything"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write(tmp_path: Path, content: bytes, name: str = "decisions.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def run_import(command: str, path: Path, *args: str) -> tuple[str, str, bool]:
    """(stdout, stderr, succeeded) of `manage.py <command> path`."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, str(path), *args, stdout=out, stderr=err)
    except CommandError as error:
        err.write(str(error))
        return out.getvalue(), err.getvalue(), False
    return out.getvalue(), err.getvalue(), True


# What is stored when a decisions file comes: nothing (a first load, which PostgreSQL writes as it reads), or a
# decision already, the file adding much to it (written after every rule is checked) or little (PostgreSQL writes
# its new crimes while it stages the file, and checks the rules after).
LOADS = ["first load", "later load", "append while loading"]


def start_over(load: str, monkeypatch=None) -> None:
    """Empty the crime record and decision tables and store one decision unless `load` is a first load, with no
    check left pending (as at the end of a transaction, where an import starts). Appending while loading is for a
    file adding little to what is stored: here, whatever it adds (given `monkeypatch`; without it, the import
    decides as it would, which for a file of a few rows is not to)."""
    CrimeRecord.objects.all().delete()
    connection.check_constraints()
    if load != "first load":
        DecisionFactory(crime_record__reference="stored", crime_record__force=force("hampshire"))
    if monkeypatch is not None:
        monkeypatch.setattr(appending.Appending, "wanted", lambda self, file: load == "append while loading")


def schema() -> list[tuple[str, str]]:
    """The crime record and decision tables' indexes and constraints as the database defines them (PostgreSQL;
    an empty list on SQLite): a large import sets some aside and builds them again."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid IN ('reviews_crimerecord'::regclass, 'reviews_cancellationdecision'::regclass)"
            " UNION ALL SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid IN ('reviews_crimerecord'::regclass, 'reviews_cancellationdecision'::regclass)"
            " ORDER BY 1, 2"
        )
        return cursor.fetchall()


def snapshot() -> dict:
    """Everything an import could change, as plain values."""
    return {
        "schema": schema(),
        "records": sorted(
            CrimeRecord.objects.values_list(
                "pk", "force_id", "reference", "offence_category", "offence_code", "recorded_on"
            )
        ),
        "decisions": sorted(
            CancellationDecision.objects.values_list(
                "pk",
                "crime_record_id",
                "force_id",
                "recorded_on",
                "outcome",
                "criterion",
                "decided_on",
                "authoriser_role",
                "receiving_force_id",
                "rationale",
            )
        ),
        "audits": sorted(Audit.objects.values_list("pk", "force_id", "name", "status", "period_start", "period_end")),
        "reviews": sorted(
            Review.objects.values_list(
                "pk",
                "audit_id",
                "decision_id",
                "auditor_id",
                "status",
                *Review.ANSWER_FIELDS,
                "updated_at",
            )
        ),
    }


REVIEW_COLUMNS = list(REVIEW_FILE.columns)


def cell_xml(reference: str, value: str | None = None) -> str:
    """One `<c>` of a sheet: text written in the cell itself, or (None) an empty cell that is only listed."""
    if value is None:
        return f'<c r="{reference}"/>'
    return f'<c r="{reference}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def row_xml(number: int, values: list[str], *extra_cells: str) -> str:
    """A `<row>` holding `values` from column A on, then any further cells given as XML."""
    cells = "".join(cell_xml(f"{get_column_letter(index)}{number}", value) for index, value in enumerate(values, 1))
    return f'<row r="{number}">{cells}{"".join(extra_cells)}</row>'


def workbook_bytes(*rows: str, dimension: str | None = "A1:K2", padding: int = 0) -> bytes:
    """An XLSX workbook written part by part, as no spreadsheet library would write it: one sheet declaring
    `dimension` (None: none), its `<sheetData>` the `rows` given as XML, and `padding` bytes of zeros in one more
    part."""
    declared = f'<dimension ref="{dimension}"/>' if dimension is not None else ""
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{declared}<sheetData>{''.join(rows)}</sheetData></worksheet>"
    )
    relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{relations}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'xmlns:r="{relations}"><sheets><sheet name="Decisions" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{relations}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        if padding:
            archive.writestr("xl/media/padding.bin", bytes(padding))
    return buffer.getvalue()
