"""Reading the two exchange formats (decisions and reviews) from CSV or XLSX files, and the row rules they share.

Every way in (the admin import, `manage.py import_decisions`, `manage.py import_reviews`) reads files with
`open_table()` and checks each row with `DecisionRowParser` or `ReviewRowParser`, so a bad value gets the same
message whichever way it came: `row 17, criterion: "C9" is not one of C1-C5`.

Row numbers are the spreadsheet's: the header is row 1, the first record row 2.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import IO

from django.conf import settings

from reviews.errors import ImportFileError
from reviews.exchange.cells import unescape_formula

# At most this many row errors are listed; the rest are counted.
ERROR_CAP = 100

NO_RECORDS = "The file has a header row but no records under it."


@dataclass(frozen=True)
class RowError:
    """One broken rule in one row. `column` is None for a rule between columns (criterion and outcome)."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}" if self.column else f"row {self.row}: {self.message}"


def by_row(error: RowError) -> int:
    return error.row


@dataclass
class ImportReport:
    """What an import found and did. `errors` holds the first `ERROR_CAP` row errors, `error_count` all of them."""

    format_name: str
    dry_run: bool = False
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    notices: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    def add_errors(self, errors: list[RowError]) -> None:
        self.error_count += len(errors)
        room = ERROR_CAP - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])

    def merge_errors(self, errors: list[RowError], total: int) -> None:
        """Add errors found set-wise (already capped, `total` in all), keeping the listed ones in row order."""
        self.error_count += total
        # Sorted by row only: a row's own errors keep the order of its columns.
        self.errors = sorted(self.errors + errors, key=by_row)[:ERROR_CAP]

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def error_lines(self) -> list[str]:
        lines = [str(error) for error in self.errors]
        rest = self.error_count - len(self.errors)
        if rest > 0:
            lines.append(f"... and {rest} more {'error' if rest == 1 else 'errors'} not listed.")
        return lines

    def summary(self) -> str:
        if not self.ok:
            noun = "error" if self.error_count == 1 else "errors"
            return f"Nothing was imported: the file has {self.error_count} {noun}."
        counts = f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged"
        if self.dry_run:
            return f"Dry run, nothing saved: {self.rows} {self.format_name} read; {counts}."
        return f"Imported {self.rows} {self.format_name}: {counts}."


@dataclass(frozen=True)
class FileSpec:
    """The columns of an exchange format, in file order; `optional` ones may be left out (read as blank)."""

    name: str
    columns: tuple[str, ...]
    optional: frozenset[str] = frozenset()

    @property
    def required(self) -> list[str]:
        return [column for column in self.columns if column not in self.optional]


DECISION_FILE = FileSpec(
    name="decisions",
    columns=(
        "force",
        "crime_reference",
        "offence_category",
        "offence_code",
        "recorded_on",
        "decided_on",
        "outcome",
        "criterion",
        "authoriser_role",
        "receiving_force",
        "rationale",
    ),
    optional=frozenset({"offence_code", "receiving_force", "rationale"}),
)


REVIEW_FILE = FileSpec(
    name="reviews",
    columns=(
        "force",
        "audit",
        "crime_reference",
        "decision_correct",
        "incorrect_reason",
        "victim_should_be_informed",
        "no_need_to_inform_reason",
        "victim_informed",
        "auditor",
        "notes",
    ),
    optional=frozenset({"incorrect_reason", "no_need_to_inform_reason", "victim_informed", "notes"}),
)


def max_file_size() -> int:
    return settings.IMPORT_MAX_FILE_SIZE


@dataclass
class Table:
    """An open file's rows, read lazily: `rows` yields (row number, cells in the format's column order)."""

    spec: FileSpec
    notices: list[str]
    rows: Iterator[tuple[int, list[str]]]


def _column_key(heading) -> str:
    # "Crime reference" and " crime_reference " both name the crime_reference column.
    return "_".join(str(heading or "").strip().lower().replace("-", " ").split())


def _file_size(file: IO[bytes]) -> int:
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _csv_encoding(file: IO[bytes]) -> str:
    """UTF-8 (with or without a byte-order mark) when every byte decodes as UTF-8, else Windows-1252.

    Checked in chunks so a large file is never held whole in memory."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := file.read(1024 * 1024):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        file.seek(0)
    return "utf-8-sig"


def open_table(file: IO[bytes], *, spec: FileSpec, max_size: int | None = None) -> Table:
    """Open `file` (binary, seekable) as CSV or XLSX, check its columns, and return its rows for reading.

    Raises `ImportFileError` for an empty file, one over the size limit, one that is neither CSV nor XLSX,
    or one missing a required column. Unknown columns and other things worth knowing become `notices`.
    """
    limit = max_file_size() if max_size is None else max_size
    size = _file_size(file)
    if size == 0:
        raise ImportFileError("The file is empty.")
    if size > limit:
        raise ImportFileError(
            f"The file is {_megabytes(size)}; the largest file accepted is {_megabytes(limit)}. "
            "Split it into smaller files, or ask for the limit to be raised."
        )
    start = file.read(8)
    file.seek(0)
    if start.startswith(b"PK\x03\x04"):
        headings, records, notices = _read_xlsx(file)
    elif start.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("The file is an old Excel workbook (.xls). Save it as XLSX or CSV and try again.")
    else:
        headings, records, notices = _read_csv(file)
    return _columns(spec, headings, records, notices)


def _read_csv(file: IO[bytes]):
    sample = file.read(4096)
    file.seek(0)
    if b"\x00" in sample:
        raise ImportFileError("The file is neither a CSV file nor an XLSX workbook.")
    encoding = _csv_encoding(file)
    notices = []
    if encoding == "cp1252":
        notices.append("The file is not UTF-8: it was read as Windows-1252 (the encoding Excel uses on Windows).")
    first_line = sample.split(b"\n", 1)[0]
    # Excel writes semicolon-separated "CSV" where the decimal separator is a comma; a header says which it is.
    delimiter = max((b",", b";", b"\t"), key=first_line.count).decode()
    if delimiter != ",":
        notices.append(f"The columns are separated by {'semicolons' if delimiter == ';' else 'tabs'}; read as such.")
    text = io.TextIOWrapper(_KeptOpen(file), encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)
    try:
        headings = next(reader, None)
    except csv.Error as error:
        raise ImportFileError(f"The file is not a readable CSV file ({error}).") from error
    return headings, _csv_records(reader), notices


class _KeptOpen(io.BufferedIOBase):
    """The caller's binary file, read through a text wrapper that must leave it open when it goes: the caller
    opened it, and may read it again from the start."""

    def __init__(self, file: IO[bytes]):
        super().__init__()
        self.file = file

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self.file.read(size)

    def read1(self, size: int = -1) -> bytes:
        return self.file.read(size)


def _csv_records(reader) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as error:
        raise ImportFileError(f"The file stops being readable CSV after row {reader.line_num} ({error}).") from error


def _read_xlsx(file: IO[bytes]):
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportFileError("The file is neither a CSV file nor an XLSX workbook.") from error
    sheets = workbook.worksheets
    if not sheets:
        raise ImportFileError("The workbook has no sheets.")
    notices = []
    if len(sheets) > 1:
        notices.append(
            f'The workbook has {len(sheets)} sheets: only the first, "{sheets[0].title}", was read; '
            f"the others ({', '.join(sheet.title for sheet in sheets[1:])}) were not."
        )
    rows = sheets[0].iter_rows(values_only=True)
    headings = next(rows, None)
    return headings, ([_xlsx_cell(value) for value in row] for row in rows), notices


def _xlsx_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if not value.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _columns(spec: FileSpec, headings, records, notices: list[str]) -> Table:
    if not headings or not any(str(heading or "").strip() for heading in headings):
        raise ImportFileError("The file is empty: it has no header row naming the columns.")
    keys = [_column_key(heading) for heading in headings]
    missing = [column for column in spec.required if column not in keys]
    if missing:
        raise ImportFileError(
            f"The file is missing {'a required column' if len(missing) == 1 else 'required columns'}: "
            f"{', '.join(missing)}. The first row must name the columns ({', '.join(spec.columns)})."
        )
    unknown = [str(heading) for heading, key in zip(headings, keys, strict=True) if key and key not in spec.columns]
    if unknown:
        notices.append(f"Unknown columns were ignored: {', '.join(unknown)}.")
    positions = [keys.index(column) if column in keys else None for column in spec.columns]
    return Table(spec=spec, notices=notices, rows=_rows(records, positions))


def _rows(records, positions: list[int | None]) -> Iterator[tuple[int, list[str]]]:
    """Each record's cells in the format's column order, stripped; a column the file lacks reads as blank."""
    if None in positions or len(positions) < 2:
        pick = None
    else:
        # Every column present: one C-level pick per record (a large file's rows pass through here).
        pick, width = itemgetter(*positions), max(positions) + 1
    for number, record in enumerate(records, start=2):
        if pick is not None and len(record) >= width:
            cells = [*map(str.strip, pick(record))]
        else:
            cells = [
                record[position].strip() if position is not None and position < len(record) else ""
                for position in positions
            ]
        if not any(cells):
            continue  # blank lines at the end of a spreadsheet are not records
        joined = "\x1f".join(cells)
        if joined[:1] == "'" or "\x1f'" in joined:
            cells = [unescape_formula(cell) for cell in cells]
        yield number, cells
