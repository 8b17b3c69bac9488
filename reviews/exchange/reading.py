"""Reading the two exchange formats (decisions and reviews) from CSV or XLSX files, and the row rules they share.

Every way in (the admin import, `manage.py import_decisions`, `manage.py import_reviews`) reads files with
`open_table()` and checks each row with `DecisionRowParser` or `ReviewRowParser`, so a bad value gets the same
message whichever way it came: `row 17, criterion: "C9" is not one of C1-C5`.

Row numbers are the spreadsheet's: the header is row 1, the first record row 2.

Reading is bounded by what the file holds, never by what it declares: a workbook is read for the rows its sheet
has (`workbooks`), and one that unpacks to far more than the size limit is refused before it is read. A CSV file
with a byte that is text in neither UTF-8 nor Windows-1252 is refused, naming its row and position; a cell that
cannot be read as text (a NUL byte, a formula with no saved value) reaches the row rules as an unreadable cell
(`cells.UNREADABLE`), which they report as a row error.
"""

import codecs
import csv
import io
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import IO

from django.conf import settings

from reviews.errors import ImportFileError
from reviews.exchange.cells import UNREADABLE, nul_byte, unescape_formula
from reviews.exchange.counting import csv_records_count
from reviews.exchange.workbooks import MAX_UNPACKED_TIMES, NOT_A_TABLE, read_workbook, unpacked_size

# At most this many row errors are listed, unless an import asks for another number; the rest are counted.
ERROR_CAP = 100

NO_RECORDS = "The file has a header row but no records under it."

SAVE_AS_CSV_UTF8 = "Save the file as CSV UTF-8 and try again."


@dataclass(frozen=True)
class RowError:
    """One broken rule in one row. `column` is None for a rule between columns (criterion and outcome). `value` is
    the cell's value as read (stripped) when the rule is about the cell of `column`; "" for a rule between columns,
    a blank cell, or a cell that cannot be read as text."""

    row: int
    column: str | None
    message: str
    value: str = ""

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}" if self.column else f"row {self.row}: {self.message}"


def by_row(error: RowError) -> int:
    return error.row


def unreadable_cells(number: int, cells: list[str], spec: "FileSpec") -> list[RowError]:
    """The row errors of a row's unreadable cells (none when the row has none: `UNREADABLE in "".join(cells)`
    tells cheaply whether to ask)."""
    return [
        RowError(number, column, cell[1:])
        for column, cell in zip(spec.columns, cells, strict=True)
        if cell.startswith(UNREADABLE)
    ]


@dataclass
class ImportReport:
    """What an import found and did. `errors` holds the first `listed` row errors (`ERROR_CAP` unless an import
    asks for another number), `error_count` all of them.

    `on_error`, when given, receives every row error, listed or not, so that all of them can be written somewhere
    (a job's file of errors): those of the rows' own rules as the rows are checked, then those of each rule
    between rows in row order. It is only ever called from the thread that calls `hand_over_errors()` and
    `merge_errors()`: the rows may be checked in a thread of their own, whose errors wait (a chunk's worth at most)
    until the import's own thread hands them over."""

    format_name: str
    dry_run: bool = False
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    notices: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    listed: int = ERROR_CAP
    on_error: Callable[[RowError], object] | None = field(default=None, repr=False, compare=False)
    # Appended to by the checking thread, emptied by the import's own: a deque does both safely.
    _waiting: deque = field(default_factory=deque, init=False, repr=False, compare=False)

    def add_errors(self, errors: list[RowError]) -> None:
        self.error_count += len(errors)
        room = self.listed - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])
        if self.on_error is not None:
            self._waiting.extend(errors)

    def hand_over_errors(self) -> None:
        """Pass the errors added so far to `on_error`, in the calling thread."""
        waiting = self._waiting
        while waiting:
            self.on_error(waiting.popleft())

    def merge_errors(self, found: Iterable[tuple[RowError, int]]) -> None:
        """Add the errors of a rule between rows, each with the number of them all (`found` may stop after the
        first `listed` when nobody wants the others), keeping the listed ones in row order."""
        self.hand_over_errors()
        listed, total = [], 0
        for error, count in found:
            total = count
            if len(listed) < self.listed:
                listed.append(error)
            if self.on_error is not None:
                self.on_error(error)
        self.error_count += total
        # Sorted by row only: a row's own errors keep the order of its columns.
        self.errors = sorted(self.errors + listed, key=by_row)[: self.listed]

    @property
    def wants_every_error(self) -> bool:
        return self.on_error is not None

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
    # The number of records under the header, when counted (`open_table(count=True)`); see `open_table`.
    total: int | None = None


def _column_key(heading) -> str:
    # "Crime reference" and " crime_reference " both name the crime_reference column.
    return "_".join(str(heading or "").strip().lower().replace("-", " ").split())


def size_check(size: int, *, limit: int | None = None) -> None:
    """Raise `ImportFileError` for a file of `size` bytes that is empty or over the limit (`max_file_size()` unless
    given): checked as the file is read, and as soon as it is uploaded."""
    limit = max_file_size() if limit is None else limit
    if size == 0:
        raise ImportFileError("The file is empty.")
    if size > limit:
        raise ImportFileError(
            f"The file is {_megabytes(size)}; the largest file accepted is {_megabytes(limit)}. "
            "Split it into smaller files, or ask for the limit to be raised."
        )


def _file_size(file: IO[bytes]) -> int:
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# Bytes that text never holds (tab, line feed, form feed and carriage return aside): a file whose first block has
# more than a few of them is not a CSV file at all (an image, an archive, UTF-16 text).
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, *range(0x0E, 0x20)])
# The bytes Windows-1252 leaves undefined.
_NOT_CP1252 = re.compile(b"[\x81\x8d\x8f\x90\x9d]")
_SCAN_CHUNK = 1024 * 1024


def _looks_binary(sample: bytes) -> bool:
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > max(2, len(sample) // 100)


@dataclass(frozen=True)
class _CsvScan:
    """What one pass over a CSV file's bytes finds: its encoding, whether it holds a NUL byte, and the offset of
    its first byte that is not text in that encoding (None when every byte is)."""

    encoding: str
    has_nul: bool
    bad_byte: int | None


def _scan_csv(file: IO[bytes]) -> _CsvScan:
    """UTF-8 (with or without a byte-order mark) when every byte decodes as UTF-8, or when letters written in UTF-8
    come before the first byte that does not (a UTF-8 file with a broken byte); else Windows-1252, the encoding
    Excel uses on Windows.

    Read in chunks so a large file is never held whole in memory."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, has_nul, utf8_letters = 0, False, False
    utf8_bad = cp1252_bad = None
    try:
        while chunk := file.read(_SCAN_CHUNK):
            has_nul = has_nul or b"\x00" in chunk
            if cp1252_bad is None and (found := _NOT_CP1252.search(chunk)):
                cp1252_bad = offset + found.start()
            if utf8_bad is None:
                utf8_bad, decoded = _utf8_error(decoder, chunk, offset)
                utf8_letters = utf8_letters or not decoded.isascii()
            offset += len(chunk)
        if utf8_bad is None:
            utf8_bad, _ = _utf8_error(decoder, b"", offset, final=True)
    finally:
        file.seek(0)
    if utf8_bad is None or utf8_letters:
        return _CsvScan("utf-8-sig", has_nul, utf8_bad)
    return _CsvScan("cp1252", has_nul, cp1252_bad)


def _utf8_error(decoder, chunk: bytes, offset: int, *, final: bool = False) -> tuple[int | None, bytes]:
    """(the file offset of the first byte in `chunk` that is not UTF-8, or None; the bytes decoded before it)."""
    pending = decoder.getstate()[0]
    try:
        decoder.decode(chunk, final=final)
    except UnicodeDecodeError as error:
        return offset - len(pending) + error.start, error.object[: error.start]
    return None, chunk


def _not_text(file: IO[bytes], scan: _CsvScan, delimiter: str) -> ImportFileError:
    """The refusal of a file whose byte at `scan.bad_byte` is not text: its row, as the import numbers rows,
    and its position in its line."""
    offset = scan.bad_byte
    file.seek(offset)
    byte = file.read(1)[0]
    window = max(0, offset - _SCAN_CHUNK)
    file.seek(window)
    newline = file.read(offset - window).rfind(b"\n")
    # Counted from the start of the byte's line; a line longer than the window read gets its row named only.
    position = offset - (window + newline) if newline >= 0 or window == 0 else None
    file.seek(0)
    # The records before the byte, and the one it is in: the byte read as "x", where the rows are counted.
    text = io.TextIOWrapper(_KeptOpen(file, stop=offset), encoding=scan.encoding, errors="replace", newline="")
    try:
        row = sum(1 for _ in csv.reader(text, delimiter=delimiter))
    except csv.Error:
        # The rows before it are not readable CSV either (a cell over the size a cell may have): named by offset.
        return ImportFileError(
            f"Byte 0x{byte:02x} at position {offset + 1} of the file is not text. {SAVE_AS_CSV_UTF8}"
        )
    finally:
        file.seek(0)
    where = f" at position {position}" if position else ""
    return ImportFileError(f"Row {row}: byte 0x{byte:02x}{where} is not text. {SAVE_AS_CSV_UTF8}")


def open_table(file: IO[bytes], *, spec: FileSpec, max_size: int | None = None, count: bool = False) -> Table:
    """Open `file` (binary, seekable) as CSV or XLSX, check its columns, and return its rows for reading.

    Raises `ImportFileError` for an empty file, one over the size limit, one that is neither CSV nor XLSX, a CSV
    file with a byte that is not text, a workbook that unpacks to far more than the size limit, or one missing a
    required column. Unknown columns and other things worth knowing become `notices`.

    With `count`, `Table.total` is the number of records under the header, for a progress bar, counted in one more
    pass over the bytes that costs a few per cent of the import: exact for a CSV file
    (`counting.csv_records_count`); for a workbook, the rows its sheet lists under the header
    (`workbooks.listed_rows`), which a sheet listing rows of empty cells overstates. None when the records cannot be
    counted that way.
    """
    limit = max_file_size() if max_size is None else max_size
    size_check(_file_size(file), limit=limit)
    start = file.read(8)
    file.seek(0)
    if start.startswith(b"PK\x03\x04"):
        headings, records, notices, total = _read_xlsx(file, limit=limit, count=count)
    elif start.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("The file is an old Excel workbook (.xls). Save it as XLSX or CSV and try again.")
    else:
        headings, records, notices, total = _read_csv(file, count=count)
    table = _columns(spec, headings, records, notices)
    table.total = total
    return table


def _read_csv(file: IO[bytes], *, count: bool = False):
    sample = file.read(4096)
    file.seek(0)
    if _looks_binary(sample):
        raise ImportFileError(NOT_A_TABLE)
    first_line = sample.split(b"\n", 1)[0]
    # Excel writes semicolon-separated "CSV" where the decimal separator is a comma; a header says which it is.
    delimiter = max((b",", b";", b"\t"), key=first_line.count).decode()
    scan = _scan_csv(file)
    if scan.bad_byte is not None:
        raise _not_text(file, scan, delimiter)
    total = csv_records_count(file, delimiter, chunk=_SCAN_CHUNK) if count else None
    notices = []
    if scan.encoding == "cp1252":
        notices.append("The file is not UTF-8: it was read as Windows-1252 (the encoding Excel uses on Windows).")
    if delimiter != ",":
        notices.append(f"The columns are separated by {'semicolons' if delimiter == ';' else 'tabs'}; read as such.")
    text = io.TextIOWrapper(_KeptOpen(file), encoding=scan.encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)
    try:
        headings = next(reader, None)
    except csv.Error as error:
        raise ImportFileError(f"The file is not a readable CSV file ({error}).") from error
    return headings, enumerate(_csv_records(reader, nul=scan.has_nul), start=2), notices, total


class _KeptOpen(io.BufferedIOBase):
    """The caller's binary file, read through a text wrapper that must leave it open when it goes: the caller
    opened it, and may read it again from the start. With `stop`, it reads as its first `stop` bytes and "x"."""

    def __init__(self, file: IO[bytes], *, stop: int | None = None):
        super().__init__()
        self.file = file
        self.left = stop

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self.left is None:
            return self.file.read(size)
        if self.left < 0:
            return b""
        wanted = self.left if size is None or size < 0 else min(size, self.left)
        data = self.file.read(wanted) if wanted else b"x"
        self.left = self.left - len(data) if wanted else -1
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)


def _csv_records(reader, *, nul: bool) -> Iterator[list[str]]:
    """The CSV file's records; with `nul` (the file holds a NUL byte), a cell holding one is unreadable."""
    try:
        if not nul:
            yield from reader
            return
        for record in reader:
            yield [nul_byte(cell) if UNREADABLE in cell else cell for cell in record]
    except csv.Error as error:
        raise ImportFileError(f"The file stops being readable CSV after row {reader.line_num} ({error}).") from error


def _read_xlsx(file: IO[bytes], *, limit: int, count: bool = False):
    unpacked = unpacked_size(file)
    if unpacked > MAX_UNPACKED_TIMES * limit:
        raise ImportFileError(
            f"The workbook unpacks to {_megabytes(unpacked)}, more than {MAX_UNPACKED_TIMES} times the largest "
            f"file accepted ({_megabytes(limit)}). Save it as CSV, or split it into smaller files, and try again."
        )
    return read_workbook(file, count=count)


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
    """Each (row number, record)'s cells in the format's column order, stripped; a column the file lacks reads as
    blank."""
    if None in positions or len(positions) < 2:
        pick = None
    else:
        # Every column present: one C-level pick per record (a large file's rows pass through here).
        pick, width = itemgetter(*positions), max(positions) + 1
    for number, record in records:
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
