"""The PostgreSQL bulk loader under the decisions import (`reviews.exchange.decisions`): the SQL both tables
share, `COPY` text, and the machinery that makes large loads fast.

On PostgreSQL the rows are checked in a thread of their own while the database loads the previous chunk, so the
two cores work at once (`CheckedChunks`). A first load (the tables hold no crime record yet) goes further: all its
rows are new, so each chunk is copied straight into the two tables, with their secondary indexes and foreign keys
set aside and built again, checking every row, at the end (`first_load`). Should a row break a rule, or the rebuilt
keys refuse one, the first load is undone and the file is read again the usual way, for the full report. A later
load that adds as many decisions as are stored sets the same indexes and keys aside for its writes
(`SecondaryIndexes`); one that adds less writes its new crimes a chunk at a time as it stages them, while the next
chunk is checked, with their foreign keys checked a query per chunk rather than a trigger per row where the
database role allows (`reviews.exchange.appending`).
"""

import io
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from itertools import islice
from typing import IO, NamedTuple

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction

from reviews.errors import ImportFileError
from reviews.exchange.progress import CHECKING, NO_PROGRESS, READING, REBUILDING, Progress
from reviews.exchange.reading import DECISION_FILE, ERROR_CAP, NO_RECORDS, ImportReport, open_table
from reviews.exchange.rows import DecisionRowParser, DecisionValues, checked_rows
from reviews.models import Audit, CancellationDecision, CrimeRecord, Review

CHUNK_ROWS = 5_000
# Chunks checked ahead of the database: with CHUNK_ROWS, what bounds the memory the import holds.
CHUNKS_AHEAD = 1
# Seconds the checking thread holds the GIL before the database thread may take it (Python's default is 0.005).
SWITCH_INTERVAL = 0.0005
STAGING = "decision_import_staging"
# The memory PostgreSQL may give each join and sort of the import (its default is 4MB).
WORK_MEM = "64MB"
# The staging table holds a checked row as it is: one column per field of `DecisionValues`.
STAGING_COLUMNS = DecisionValues._fields
# What says which crime a staged row is, and where in the file: all the rules between rows need of a row whose crime
# is written straight into the tables as it is staged (`appending.Appending`).
STAGING_KEY_COLUMNS = ("row_number", "force_id", "reference")


def table_names() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "staging": quote(STAGING),
        "record": quote(CrimeRecord._meta.db_table),
        "decision": quote(CancellationDecision._meta.db_table),
        "review": quote(Review._meta.db_table),
        "audit": quote(Audit._meta.db_table),
    }


# A staged row matches the stored crime record / decision when every imported value is equal.
SAME_RECORD = (
    "c.offence_category = s.offence_category AND c.offence_code = s.offence_code AND c.recorded_on = s.recorded_on"
)


SAME_DECISION = (
    "d.outcome = s.outcome AND d.criterion = s.criterion AND d.decided_on = s.decided_on"
    " AND d.authoriser_role = s.authoriser_role AND d.rationale = s.rationale"
    " AND (d.receiving_force_id = s.receiving_force_id"
    " OR (d.receiving_force_id IS NULL AND s.receiving_force_id IS NULL))"
)


MATCH_RECORD = "c.force_id = s.force_id AND c.reference = s.reference"
RECORD_COLUMNS = "force_id, reference, offence_category, offence_code, recorded_on"
# A new decision: its crime record's id, force and recorded date come first, then these values of the staged row.
DECISION_VALUES = "outcome, criterion, decided_on, authoriser_role, receiving_force_id, rationale"
DECISION_COLUMNS = "crime_record_id, force_id, recorded_on, " + DECISION_VALUES
DECISION_INSERT = "INSERT INTO {decision} (" + DECISION_COLUMNS + ")"


class SecondaryIndexes:
    """Two tables written without their secondary indexes and foreign keys, which are then built again as they
    were, exactly as the database defined them: each index in one sort, each foreign key checked in one query over
    the whole table, instead of both once per row written.

    PostgreSQL's own advice for loading much data ("Populating a Database"). The tables are locked against readers
    and writers until the import commits, so nothing ever sees them without their keys. When they cannot be had
    within `IMPORT_BULK_LOCK_TIMEOUT` (someone is using them), or the database role may not alter them, nothing is
    set aside and the import writes row by row with every index and key in place."""

    def __init__(self, definitions: "_Definitions"):
        self.definitions = definitions

    @classmethod
    def set_aside(cls, tables: list[str], *, unless: str | None = None) -> "SecondaryIndexes | None":
        """Lock `tables` and drop their secondary indexes and foreign keys, unless the query `unless` then finds
        a row; None when nothing was dropped."""
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('lock_timeout')")
                (lock_timeout,) = cursor.fetchone()
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [settings.IMPORT_BULK_LOCK_TIMEOUT])
                cursor.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
                if unless is not None:
                    cursor.execute(unless)
                    if cursor.fetchone() is not None:
                        raise _NotSetAside  # rolling back to the savepoint releases the locks
                definitions = _secondary_definitions(cursor, tables)
                for statement in definitions.drops:
                    cursor.execute(statement)
        except (DatabaseError, _NotSetAside):
            return None
        return cls(definitions)

    def rebuild(self) -> None:
        with connection.cursor() as cursor:
            for statement in self.definitions.creates:
                cursor.execute(statement)


class _NotSetAside(Exception):
    pass


def first_load(
    file: IO[bytes],
    *,
    max_size: int | None,
    parser: DecisionRowParser,
    progress: Progress = NO_PROGRESS,
    listed_errors: int = ERROR_CAP,
) -> ImportReport | None:
    """The first load of decisions, into tables that hold no crime record: every row of the file is new, so each
    chunk is copied straight into the two tables as soon as it is checked, without a staging table. The report,
    or None when the tables are not empty (or busy), or when a row breaks a rule or the rebuilt keys refuse one:
    then everything is undone, for the file to be read again the usual way (which reports every error again, so
    none is handed over from here).

    `progress` hears of reading, then checking (the rows are written as they are checked), then rebuilding the
    indexes; `ImportCancelled` from it is raised again, with everything undone.

    The tables are locked for the import and their secondary indexes and foreign keys set aside (`SecondaryIndexes`);
    building them again at the end checks every row, a crime reference given twice for one force included. The ids
    are assigned here, in order from the tables' own sequences, which are moved on past them: no one else can
    insert into the locked tables meanwhile."""
    names = table_names()
    try:
        with transaction.atomic():
            indexes = SecondaryIndexes.set_aside(
                [names["record"], names["decision"]], unless=f"SELECT 1 FROM {names['record']} LIMIT 1"
            )
            if indexes is None:
                return None
            progress.phase(READING)
            table = open_table(file, spec=DECISION_FILE, max_size=max_size, count=progress.wants_total)
            report = ImportReport(format_name="decisions", notices=table.notices, listed=listed_errors)
            progress.phase(CHECKING, total=table.total)
            sequences = [_sequence(model) for model in (CrimeRecord, CancellationDecision)]
            with connection.cursor() as cursor:
                first_ids = []
                for sequence in sequences:
                    cursor.execute("SELECT nextval(%s::regclass)", [sequence])
                    first_ids.append(cursor.fetchone()[0])
                _copy_straight_in(
                    cursor, names, checked_rows(table, parser, report), tuple(first_ids), report, progress
                )
                if report.rows == 0:
                    raise ImportFileError(NO_RECORDS)
                if not report.ok:
                    raise _Undo
                for sequence, first_id in zip(sequences, first_ids, strict=True):
                    # Never backwards, should anyone have drawn from the sequence meanwhile.
                    cursor.execute(
                        f"SELECT setval(%s::regclass, GREATEST(%s, (SELECT last_value FROM {sequence})))",
                        [sequence, first_id + report.rows - 1],
                    )
                progress.advance(report.rows)
            progress.phase(REBUILDING)
            indexes.rebuild()
    except (_Undo, IntegrityError):
        return None
    report.new = report.rows
    return report


class _Undo(Exception):
    pass


def _copy_straight_in(cursor, names, rows, first_ids: tuple[int, int], report: ImportReport, progress) -> None:
    """Copy the checked rows into the two tables, a chunk at a time while the next is checked, numbered on from
    `first_ids`; `_Undo` as soon as a row has broken a rule."""
    with CheckedChunks(rows, FirstLoadLines(first_ids)) as chunks:
        for records, decisions in chunks:
            if not report.ok:
                raise _Undo
            copy_text(cursor, f"COPY {names['record']} (id, {RECORD_COLUMNS}) FROM STDIN", records)
            copy_text(cursor, f"COPY {names['decision']} (id, {DECISION_COLUMNS}) FROM STDIN", decisions)
            progress.advance(report.rows)


def _sequence(model) -> str:
    """The sequence that numbers `model`'s rows (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
        return cursor.fetchone()[0]


def copy_text(cursor, statement: str, text: str) -> None:
    # One read of the whole chunk: each read would wait for the checking thread to hand back the GIL.
    cursor.copy_expert(statement, io.StringIO(text), len(text) + 1)


class _Definitions(NamedTuple):
    drops: list[str]
    creates: list[str]


def _secondary_definitions(cursor, tables: list[str]) -> _Definitions:
    """The statements that drop, then create again, the tables' indexes other than their primary keys, and every
    foreign key that leans on them or on the tables: from the database's catalogue, so that a migration's new
    index is kept without this code knowing of it."""
    regclasses = ", ".join(f"'{table}'::regclass" for table in tables)
    # Foreign keys from the tables, and into them through one of the indexes to be dropped.
    cursor.execute(
        "SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid) FROM pg_constraint c"
        f" WHERE c.contype = 'f' AND (c.conrelid IN ({regclasses}) OR (c.confrelid IN ({regclasses})"
        "  AND c.conindid IN (SELECT indexrelid FROM pg_index WHERE NOT indisprimary)))"
        " ORDER BY c.conrelid::regclass::text, c.conname"
    )
    foreign_keys = cursor.fetchall()
    # Secondary indexes: those of unique constraints are dropped and made through their constraint.
    cursor.execute(
        "SELECT i.indrelid::regclass::text, quote_ident(x.relname), pg_get_indexdef(i.indexrelid),"
        " quote_ident(c.conname), pg_get_constraintdef(c.oid) FROM pg_index i"
        " JOIN pg_class x ON x.oid = i.indexrelid LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid"
        f" AND c.conrelid = i.indrelid AND c.contype IN ('u', 'x') WHERE i.indrelid IN ({regclasses})"
        " AND NOT i.indisprimary ORDER BY i.indrelid::regclass::text, x.relname"
    )
    indexes = cursor.fetchall()
    drops = [f"ALTER TABLE {table} DROP CONSTRAINT {name}" for table, name, _definition in foreign_keys]
    creates = []
    for table, index, index_definition, constraint, constraint_definition in indexes:
        if constraint:
            drops.append(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")
            creates.append(f"ALTER TABLE {table} ADD CONSTRAINT {constraint} {constraint_definition}")
        else:
            drops.append(f"DROP INDEX {index}")
            creates.append(index_definition)
    creates += [f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}" for table, name, definition in foreign_keys]
    return _Definitions(drops, creates)


def staged(columns: str) -> str:
    """`columns` ("a, b") as columns of the staging table aliased `s` ("s.a, s.b")."""
    return ", ".join(f"s.{column}" for column in columns.split(", "))


class Counts(NamedTuple):
    new: int
    updated: int
    unchanged: int
    records_without_decision: int


# COPY's text format: one line per row, tab-separated, NULL written \\N; the free-text cells escape these.
COPY_NULL = "\\N"
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _free_text(reference: str, code: str, rationale: str) -> tuple[str, str, str]:
    """A row's reference, offence code and rationale ready for COPY's text format. Only these can hold a tab,
    line break or backslash (every other value is a number, a date or a code), and rarely do."""
    joined = f"{reference}\t{code}\t{rationale}"
    if joined.count("\t") == 2 and "\\" not in joined and "\n" not in joined and "\r" not in joined:
        return reference, code, rationale
    return reference.translate(COPY_ESCAPES), code.translate(COPY_ESCAPES), rationale.translate(COPY_ESCAPES)


def staging_lines(rows: list[DecisionValues]) -> tuple[str]:
    """Checked rows as COPY text for the staging table (its columns in `STAGING_COLUMNS` order)."""
    lines = []
    for number, force, reference, category, code, recorded, decided, outcome, criterion, role, to, why in rows:
        reference, code, why = _free_text(reference, code, why)
        to = COPY_NULL if to is None else to
        lines.append(
            f"{number}\t{force}\t{reference}\t{category}\t{code}\t{recorded}\t{decided}\t{outcome}\t{criterion}"
            f"\t{role}\t{to}\t{why}\n"
        )
    return ("".join(lines),)


def staging_key_lines(rows: list[DecisionValues]) -> str:
    """Checked rows as COPY text for the staging table's `STAGING_KEY_COLUMNS` alone."""
    lines = []
    for row in rows:
        reference, _code, _why = _free_text(row.reference, "", "")
        lines.append(f"{row.row_number}\t{row.force_id}\t{reference}\n")
    return "".join(lines)


class FirstLoadLines:
    """Checked rows as COPY text for the two tables themselves: crime records (id, `RECORD_COLUMNS`) and decisions
    (id, `DECISION_COLUMNS`), numbered on from the first ids given, in the order the rows come."""

    def __init__(self, first_ids: tuple[int, int]):
        self.record_id, self.decision_id = first_ids

    def __call__(self, rows: list[DecisionValues]) -> tuple[str, str]:
        records, decisions = [], []
        record_id, decision_id = self.record_id, self.decision_id
        for _number, force, reference, category, code, recorded, decided, outcome, criterion, role, to, why in rows:
            reference, code, why = _free_text(reference, code, why)
            to = COPY_NULL if to is None else to
            records.append(f"{record_id}\t{force}\t{reference}\t{category}\t{code}\t{recorded}\n")
            decisions.append(
                f"{decision_id}\t{record_id}\t{force}\t{recorded}\t{outcome}\t{criterion}\t{decided}\t{role}"
                f"\t{to}\t{why}\n"
            )
            record_id += 1
            decision_id += 1
        self.record_id, self.decision_id = record_id, decision_id
        return "".join(records), "".join(decisions)


class CheckedChunks:
    """Checks the rows in a thread of its own and hands them over as COPY text (`lines` makes the texts of a list
    of rows), `CHUNK_ROWS` rows at a time and at most `CHUNKS_AHEAD` chunks ahead, so that the database loads one
    chunk while the next is checked. An error while reading the file is raised again where the chunks are read."""

    def __init__(self, rows: Iterator[DecisionValues], lines: Callable[[list[DecisionValues]], tuple[str, ...]]):
        self.rows = rows
        self.lines = lines
        self.chunks: queue.Queue = queue.Queue(maxsize=CHUNKS_AHEAD)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._check, name="decision-import-checks", daemon=True)

    def __enter__(self) -> "CheckedChunks":
        # The thread that talks to the database gets the GIL back sooner after each statement.
        self.switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopped.set()
        self.thread.join()
        sys.setswitchinterval(self.switch_interval)

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        while (chunk := self.chunks.get()) is not None:
            if isinstance(chunk, BaseException):
                raise chunk
            yield chunk

    def _check(self) -> None:
        try:
            while not self.stopped.is_set() and (rows := list(islice(self.rows, CHUNK_ROWS))):
                self._hand_over(self.lines(rows))
            self._hand_over(None)
        except BaseException as error:  # noqa: BLE001 - raised again in the thread that reads the chunks
            self._hand_over(error)

    def _hand_over(self, item) -> None:
        while not self.stopped.is_set():
            try:
                self.chunks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
