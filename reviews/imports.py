"""Reading the two exchange formats (decisions and reviews) from CSV or XLSX files, and the row rules they share.

Every way in (the admin import, `manage.py import_decisions`, `manage.py import_reviews`) reads files with
`open_table()` and checks each row with `DecisionRowParser` or `ReviewRowParser`, so a bad value gets the same
message whichever way it came: `row 17, criterion: "C9" is not one of C1-C5`.

Row numbers are the spreadsheet's: the header is row 1, the first record row 2.
"""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import IO, NamedTuple

from django.conf import settings

from forces.models import Force, FormerName
from reviews.models import (
    AuthoriserRole,
    Criterion,
    IncorrectReason,
    NoNeedToInformReason,
    OffenceCategory,
    Outcome,
    Verdict,
    VictimInformed,
)

# At most this many row errors are listed; the rest are counted.
ERROR_CAP = 100

# A leading apostrophe is how exports defuse a formula-like cell ('=SUM(A1)); imports take it off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


NO_RECORDS = "The file has a header row but no records under it."


class ImportFileError(ValueError):
    """The file as a whole cannot be read: empty, too large, not CSV or XLSX, or missing columns."""


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


class ImportRefused(Exception):
    """Raised inside the import's transaction to undo it; carries the report with the row errors."""

    def __init__(self, report: ImportReport):
        super().__init__(report.summary())
        self.report = report


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


# --- Reading files ---------------------------------------------------------------------------------------------


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
            cells = [cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS else cell for cell in cells]
        yield number, cells


# --- Values shared by the parsers -----------------------------------------------------------------------------


def _aliases(choices, *extra: dict[str, str]) -> dict[str, str]:
    """Lower-cased codes and labels (and the label after "C2: ") mapped to each choice's stored value."""
    table = {}
    for value, label in choices.choices:
        table[value] = value
        table[value.lower()] = value
        table[label.lower()] = value
        table[value.lower().replace("_", " ")] = value
        if ": " in label:
            table[label.split(": ", 1)[1].lower()] = value
    for mapping in extra:
        table.update({key.lower(): value for key, value in mapping.items()})
    return table


CATEGORY_ALIASES = _aliases(OffenceCategory, {"other sexual": "other_sexual", "violence with injury": "violence"})
OUTCOME_ALIASES = _aliases(Outcome)
CRITERION_ALIASES = _aliases(
    Criterion,
    {
        # The wording of the Home Office Counting Rules, as forces tend to paste it.
        "the crime was committed outside the jurisdiction of the force that recorded it": "C1",
        "additional verifiable information (avi) shows that no notifiable crime occurred": "C2",
        "additional verifiable information": "C2",
        "avi": "C2",
        "the record is a duplicate, or part of a crime already recorded": "C3",
        "duplicate": "C3",
        "the crime was recorded in error": "C4",
        "self-defence is claimed": "C5",
        "self-defence": "C5",
    },
)
AUTHORISER_ALIASES = _aliases(AuthoriserRole, {"designated decision maker (ddm)": "ddm"})
VERDICT_ALIASES = _aliases(Verdict, {"y": "yes", "n": "no", "true": "yes", "false": "no", "cannot tell": "cannot_tell"})
INCORRECT_REASON_ALIASES = _aliases(IncorrectReason)
NO_NEED_REASON_ALIASES = _aliases(NoNeedToInformReason)
VICTIM_INFORMED_ALIASES = _aliases(VictimInformed, {"y": "yes", "n": "no", "true": "yes", "false": "no"})
YES_NO = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}

_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(value: str) -> date | None:
    """ISO (2026-01-31, with or without a time) or UK (31/01/2026); None when it is neither or not a real day."""
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    match = _UK_DATE.match(value)
    if match:
        day, month, year = (int(part) for part in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return None


def _one_of(choices) -> str:
    values = choices.values
    if all(re.fullmatch(r"C\d", value) for value in values):
        return f"{values[0]}-{values[-1]}"
    return ", ".join(values)


class ForceLookup:
    """Every force by code, current name and former name (ignoring case and spacing), read in two queries.

    The same matching as `Force.objects.matching()`, held in memory so that checking a row costs no query."""

    def __init__(self):
        self._by_key: dict[str, tuple[int, str]] = {}
        for pk, code, name in Force.objects.values_list("pk", "code", "name"):
            self._by_key[self.key(code)] = (pk, code)
            self._by_key[self.key(name)] = (pk, code)
        for force_id, code, name in FormerName.objects.values_list("force_id", "force__code", "name"):
            self._by_key.setdefault(self.key(name), (force_id, code))
        # For rows that already name the force by its lower-case code: one dictionary look-up.
        self.get_lowercase = self._by_key.get

    @staticmethod
    def key(value: str) -> str:
        return " ".join(value.split()).lower()

    def get(self, value: str) -> tuple[int, str] | None:
        """(force id, code) of the force called `value`, or None."""
        return self._by_key.get(value.lower()) or self._by_key.get(self.key(value))


class _Row:
    """Collects one row's errors while its cells are checked."""

    __slots__ = ("errors", "number")

    def __init__(self, number: int):
        self.number = number
        self.errors: list[RowError] = []

    def error(self, column: str | None, message: str) -> None:
        self.errors.append(RowError(self.number, column, message))

    def required(self, column: str, value: str) -> str:
        if not value:
            self.error(column, "is blank: a value is needed")
        return value

    def text(self, column: str, value: str, max_length: int, *, required: bool = False) -> str:
        if required and not value:
            self.error(column, "is blank: a value is needed")
        elif len(value) > max_length:
            self.error(column, f'"{value[:20]}..." is longer than {max_length} characters')
        return value

    def choice(self, column: str, value: str, aliases: dict[str, str], choices, *, required: bool = True) -> str:
        if not value:
            if required:
                self.error(column, f"is blank: it must be one of {_one_of(choices)}")
            return ""
        found = aliases.get(value.lower()) or aliases.get(" ".join(value.lower().split()))
        if found is None:
            self.error(column, f'"{value}" is not one of {_one_of(choices)}')
            return ""
        return found

    def date(self, column: str, value: str) -> date | None:
        if not value:
            self.error(column, "is blank: a date is needed (2026-01-31 or 31/01/2026)")
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.error(column, f'"{value}" is not a date (use 2026-01-31 or 31/01/2026)')
        return parsed

    def force(self, column: str, value: str, forces: ForceLookup, *, required: bool = True) -> tuple[int, str] | None:
        if not value:
            if required:
                self.error(column, "is blank: name the force by its code or name")
            return None
        found = forces.get(value)
        if found is None:
            self.error(column, f'no force called "{value}"')
        return found

    def answer_when(self, column: str, answer: str, value: str, needed: bool | None, choices, condition: str) -> None:
        """An answer that `condition` calls for: required when `needed`, refused when not (None: the answer it
        hangs on is itself missing or wrong, and has its own error)."""
        if needed and not answer and not value:
            self.error(column, f"is blank: {condition}, so it must be one of {_one_of(choices)}")
        elif needed is False and answer:
            self.error(column, f'"{value}" given, but it is only for when {condition}')

    def yes_no(self, column: str, value: str) -> bool | None:
        if not value:
            self.error(column, "is blank: answer yes or no")
            return None
        answer = YES_NO.get(value.lower())
        if answer is None:
            self.error(column, f'"{value}" is not yes or no')
        return answer


# --- Decisions ------------------------------------------------------------------------------------------------


class DecisionValues(NamedTuple):
    """One checked row of a decisions file, ready for the database. Dates are ISO strings ("2026-01-31"),
    which sort as the dates do and load into a staging table as they are."""

    row_number: int
    force_id: int
    reference: str
    offence_category: str
    offence_code: str
    recorded_on: str
    decided_on: str
    outcome: str
    criterion: str
    authoriser_role: str
    receiving_force_id: int | None
    rationale: str


def _iso(value: str) -> str | None:
    """`value` itself when it is already an ISO date (the usual case, checked without building a date)."""
    if len(value) == 10 and value[4] == "-":
        try:
            date.fromisoformat(value)
        except ValueError:
            return None
        return value
    return None


CRITERION_OUTCOME = {criterion.value: criterion.outcome.value for criterion in Criterion}


class DecisionRowParser:
    """Checks one row of a decisions file against every rule that row alone can break."""

    # A file's dates repeat (a few thousand days in years of decisions): each distinct one is checked once.
    DATES_REMEMBERED = 20_000

    def __init__(self, forces: ForceLookup | None = None):
        self.forces = forces or ForceLookup()
        self._force = self.forces.get_lowercase
        self._dates: dict[str, str] = {}
        self._known_date = self._dates.get

    def _iso_date(self, value: str) -> str | None:
        iso = _iso(value)
        if iso is not None and len(self._dates) < self.DATES_REMEMBERED:
            self._dates[value] = iso
        return iso

    def parse(self, number: int, cells: list[str]) -> tuple[DecisionValues | None, list[RowError]]:
        """The row's values ready for the database, or None and every rule the row breaks."""
        values = self._canonical(number, cells)
        return (values, []) if values is not None else self._parse_fully(number, cells)

    def _canonical(self, number: int, cells: list[str]) -> DecisionValues | None:
        (force, reference, category, code, recorded, decided, outcome, criterion, role, receiving, rationale) = cells
        # The common case, a row already in the canonical form, is checked with plain look-ups; anything else
        # (a label, a UK date, a broken rule) takes the full path below, which says what is wrong.
        found_force = self._force(force) or self._force(force.lower())
        category = CATEGORY_ALIASES.get(category) or CATEGORY_ALIASES.get(category.lower())
        outcome = OUTCOME_ALIASES.get(outcome) or OUTCOME_ALIASES.get(outcome.lower())
        criterion = CRITERION_ALIASES.get(criterion) or CRITERION_ALIASES.get(criterion.lower())
        role = AUTHORISER_ALIASES.get(role) or AUTHORISER_ALIASES.get(role.lower())
        recorded_on = self._known_date(recorded) or self._iso_date(recorded)
        decided_on = self._known_date(decided) or self._iso_date(decided)
        receiving_force = (self._force(receiving) or self._force(receiving.lower())) if receiving else None
        code = code.upper()
        if (
            found_force
            and category
            and outcome
            and criterion
            and role
            and recorded_on
            and decided_on
            and reference
            and len(reference) <= 50
            and len(code) <= 10
            and decided_on >= recorded_on
            and CRITERION_OUTCOME[criterion] == outcome
            and (outcome == Outcome.TRANSFERRED) == bool(receiving)
            and (not receiving or (receiving_force is not None and receiving_force[0] != found_force[0]))
        ):
            return DecisionValues(
                number,
                found_force[0],
                reference,
                category,
                code,
                recorded_on,
                decided_on,
                outcome,
                criterion,
                role,
                receiving_force[0] if receiving_force else None,
                rationale,
            )
        return None

    def _parse_fully(self, number: int, cells: list[str]) -> tuple[DecisionValues | None, list[RowError]]:
        (force, reference, category, code, recorded, decided, outcome, criterion, role, receiving, rationale) = cells
        row = _Row(number)
        found_force = row.force("force", force, self.forces)
        row.text("crime_reference", reference, 50, required=True)
        category = row.choice("offence_category", category, CATEGORY_ALIASES, OffenceCategory)
        code = row.text("offence_code", code.upper(), 10)
        recorded_on = row.date("recorded_on", recorded)
        decided_on = row.date("decided_on", decided)
        outcome = row.choice("outcome", outcome, OUTCOME_ALIASES, Outcome)
        criterion = row.choice("criterion", criterion, CRITERION_ALIASES, Criterion)
        role = row.choice("authoriser_role", role, AUTHORISER_ALIASES, AuthoriserRole)
        receiving_force = row.force("receiving_force", receiving, self.forces, required=False)
        if outcome and criterion and CRITERION_OUTCOME[criterion] != outcome:
            row.error(
                None,
                'outcome "transferred" needs criterion C1'
                if outcome == Outcome.TRANSFERRED
                else f'outcome "cancelled" needs criterion C2, C3, C4 or C5, not {criterion}',
            )
        elif outcome == Outcome.TRANSFERRED and not receiving:
            row.error("receiving_force", "is blank: a transfer needs the force that received it")
        elif outcome == Outcome.CANCELLED and receiving:
            row.error("receiving_force", f'"{receiving}" given for a cancellation: only a transfer has one')
        elif found_force and receiving_force and found_force[0] == receiving_force[0]:
            row.error("receiving_force", f'"{receiving}" is the force that recorded the crime')
        if recorded_on and decided_on and decided_on < recorded_on:
            row.error("decided_on", f'"{decided}" is before the crime was recorded ({recorded})')
        if row.errors:
            return None, row.errors
        # Every value is valid in some accepted form (a label, a UK date): in canonical form it passes the plain path.
        canonical = [
            found_force[1],
            reference,
            category,
            code,
            recorded_on.isoformat(),
            decided_on.isoformat(),
            outcome,
            criterion,
            role,
            receiving_force[1] if receiving_force else "",
            rationale,
        ]
        return self._canonical(number, canonical), []


# --- Reviews --------------------------------------------------------------------------------------------------


class ReviewValues(NamedTuple):
    """One checked row of a reviews file; the audit, decision and auditor are still names to look up."""

    row: int
    force_id: int
    audit: str
    reference: str
    decision_correct: str
    incorrect_reason: str
    victim_should_be_informed: bool
    no_need_to_inform_reason: str
    victim_informed: str
    auditor: str
    notes: str


class ReviewRowParser:
    """Checks one row of a reviews file: every answer of a finished review, and how the answers fit together."""

    def __init__(self, forces: ForceLookup | None = None):
        self.forces = forces or ForceLookup()

    def parse(self, number: int, cells: list[str]) -> tuple[ReviewValues | None, list[RowError]]:
        (force, audit, reference, correct, reason, should, no_need, informed, auditor, notes) = cells
        row = _Row(number)
        found_force = row.force("force", force, self.forces)
        row.text("audit", audit, 200, required=True)
        row.text("crime_reference", reference, 50, required=True)
        correct = row.choice("decision_correct", correct, VERDICT_ALIASES, Verdict)
        reason = row.choice("incorrect_reason", reason, INCORRECT_REASON_ALIASES, IncorrectReason, required=False)
        should_be_informed = row.yes_no("victim_should_be_informed", should)
        no_need = row.choice(
            "no_need_to_inform_reason", no_need, NO_NEED_REASON_ALIASES, NoNeedToInformReason, required=False
        )
        informed = row.choice("victim_informed", informed, VICTIM_INFORMED_ALIASES, VictimInformed, required=False)
        row.required("auditor", auditor)
        judged = None if not correct else correct == Verdict.NO
        row.answer_when(
            "incorrect_reason", reason, cells[4], judged, IncorrectReason, "the decision was judged incorrect"
        )
        if judged and not notes:
            row.error("notes", "is blank: explain why the decision was judged incorrect")
        row.answer_when(
            "victim_informed",
            informed,
            cells[7],
            should_be_informed,
            VictimInformed,
            "the victim should have been informed",
        )
        row.answer_when(
            "no_need_to_inform_reason",
            no_need,
            cells[6],
            None if should_be_informed is None else not should_be_informed,
            NoNeedToInformReason,
            "the victim did not need to be informed",
        )
        if row.errors:
            return None, row.errors
        return (
            ReviewValues(
                number,
                found_force[0],
                audit,
                reference,
                correct,
                reason,
                should_be_informed,
                no_need,
                informed,
                auditor,
                notes,
            ),
            [],
        )
