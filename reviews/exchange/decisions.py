"""The decisions import, the one engine behind every way a decisions file comes in (command line, data
administration pages), and `decision_record`, for one decision at a time.

Each row is read and checked in Python by the same `DecisionRowParser` as every other way in, then loaded into a
temporary staging table: with `COPY` on PostgreSQL, in batched inserts on SQLite. The rules between rows
(a crime reference twice in one file, a change to a decision a signed-off audit has reviewed) are single SQL
queries over the staging table, and so are the writes: crime records and decisions are updated and inserted
a statement each. The file is never held whole in memory, and the number of queries grows only with the chunks
(`bulk.CHUNK_ROWS` rows each), not the rows. PostgreSQL's faster paths are in `reviews.exchange.bulk`: a first
load into empty tables, and a file adding little to a large store, whose new crimes are written as each chunk is
staged (`appending.Appending`); the rules and writes after the load then see only the rows not written yet.
"""

import contextlib
from collections.abc import Callable, Iterator
from datetime import date
from itertools import islice
from typing import IO

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from forces.models import Force
from reviews.errors import ImportFileError, ImportRefused
from reviews.exchange.appending import Appending
from reviews.exchange.bulk import (
    DECISION_INSERT,
    DECISION_VALUES,
    MATCH_RECORD,
    RECORD_COLUMNS,
    SAME_DECISION,
    SAME_RECORD,
    STAGING,
    STAGING_COLUMNS,
    WORK_MEM,
    CheckedChunks,
    Counts,
    SecondaryIndexes,
    copy_text,
    first_load,
    staged,
    staging_lines,
    table_names,
)
from reviews.exchange.progress import CHECKING, NO_PROGRESS, READING, REBUILDING, WRITING, Progress
from reviews.exchange.reading import DECISION_FILE, ERROR_CAP, NO_RECORDS, ImportReport, RowError, open_table
from reviews.exchange.rows import DecisionRowParser, DecisionValues, checked_rows
from reviews.models import AuditStatus, CancellationDecision, CrimeRecord

# Rows per batched insert on SQLite, and per COPY on PostgreSQL: bounds the memory they hold.
SQLITE_BATCH_ROWS = 1_000
# Rows checked between two reports of progress on SQLite (on PostgreSQL, a chunk: `bulk.CHUNK_ROWS`).
SQLITE_PROGRESS_ROWS = 5_000
# Rows of a rule between rows fetched at a time, when every error is wanted.
FETCH_ROWS = 2_000


def decisions_import(
    *,
    file: IO[bytes],
    dry_run: bool = False,
    max_size: int | None = None,
    progress: Progress = NO_PROGRESS,
    errors: Callable[[RowError], object] | None = None,
    listed_errors: int = ERROR_CAP,
) -> ImportReport:
    """Create or update the crime records and decisions in a decisions file (CSV or XLSX), all or nothing.

    Returns the report: rows read, and how many are new, updated or unchanged. Raises `ImportFileError`
    when the file cannot be read at all, and `ImportRefused` (carrying the report, with every row error
    up to `listed_errors` and the count of the rest) when any row breaks a rule; then nothing is written.
    A dry run checks everything and reports the same counts, then writes nothing.

    `progress` hears of each phase (reading, checking with the number of records, writing, rebuilding indexes)
    and of the rows checked, chunk by chunk, always from the calling thread; any of its calls may raise
    `ImportCancelled`, which undoes everything and is raised again. `errors`, when given, receives every row
    error, however many (see `ImportReport.on_error`).
    """
    parser = DecisionRowParser()
    try:
        with transaction.atomic():
            _use_room_to_join()
            report = None if dry_run else _first_load(file, max_size, parser, progress, listed_errors)
            if report is not None:
                return report
            # From the start of the file: a first load that found something wrong has been undone.
            progress.phase(READING)
            table = open_table(file, spec=DECISION_FILE, max_size=max_size, count=progress.wants_total)
            report = ImportReport(
                format_name="decisions", dry_run=dry_run, notices=table.notices, listed=listed_errors, on_error=errors
            )
            progress.phase(CHECKING, total=table.total)
            stage = _Staging(progress=progress, appending_file=None if dry_run else file)
            stage.load(checked_rows(table, parser, report), report=report)
            _check_between_rows(stage, report)
            counts = stage.counts()
            report.new, report.updated, report.unchanged = counts.new, counts.updated, counts.unchanged
            if not dry_run:
                progress.phase(WRITING)
                stage.write(counts)
            stage.drop()
            if dry_run:
                transaction.set_rollback(True)
    except Exception:
        _drop_staging_outside_transaction()
        raise
    return report


def _use_room_to_join() -> None:
    """On PostgreSQL, room for the joins between the file and what is stored to stay in memory, for the import's
    transaction; and no just-in-time compiling, which costs more than it saves on statements that run once."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)", [WORK_MEM])


def _first_load(file, max_size, parser, progress, listed_errors) -> ImportReport | None:
    """On PostgreSQL, the first load's report when the tables were empty (`bulk.first_load`); None otherwise."""
    if connection.vendor != "postgresql":
        return None
    return first_load(file, max_size=max_size, parser=parser, progress=progress, listed_errors=listed_errors)


def _check_between_rows(stage: "_Staging", report: ImportReport) -> None:
    """The rules between the staged rows and what is stored; `ImportRefused` when any row broke a rule."""
    if report.rows == 0:
        raise ImportFileError(NO_RECORDS)
    if not stage.index_unique():
        report.merge_errors(stage.repeated_rows(report))
    report.merge_errors(stage.signed_off_changes(report))
    if not report.ok:
        raise ImportRefused(report)


def _drop_staging_outside_transaction() -> None:
    # PostgreSQL drops the temporary table with the rolled-back transaction; SQLite keeps it for the connection.
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(STAGING)}")


class _Staging:
    """The temporary table a file's checked rows are loaded into, and the SQL that checks and writes them."""

    def __init__(self, *, progress: Progress = NO_PROGRESS, appending_file: IO[bytes] | None = None):
        """`appending_file`: the file whose new crimes may be written while it is staged (`Appending`), when it
        adds little to what is stored; None when nothing is to be written before every rule is checked."""
        self.postgresql = connection.vendor == "postgresql"
        self.progress = progress
        self.names = table_names()
        self.appending = Appending(self.names) if appending_file is not None and self.postgresql else None
        columns = (
            "row_number integer NOT NULL, force_id bigint NOT NULL, reference varchar(50) NOT NULL,"
            " offence_category varchar(20) NOT NULL, offence_code varchar(10) NOT NULL,"
            " recorded_on date NOT NULL, decided_on date NOT NULL, outcome varchar(12) NOT NULL,"
            " criterion varchar(2) NOT NULL, authoriser_role varchar(10) NOT NULL,"
            " receiving_force_id bigint NULL, rationale text NOT NULL"
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.names['staging']}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.names['staging']} ({columns})"
                + (" ON COMMIT DROP" if self.postgresql else "")
            )
        if self.appending is not None and not self.appending.prepare(appending_file):
            self.appending = None

    def load(self, rows: Iterator[DecisionValues], *, report: ImportReport) -> None:
        """Load the checked rows into the staging table: on PostgreSQL with COPY, a chunk at a time while the next
        is checked; on SQLite in batched inserts. The rows checked so far (`report.rows`), and their errors, are
        reported here, in the import's own thread, after each chunk."""
        columns = ", ".join(STAGING_COLUMNS)
        with connection.cursor() as cursor:
            if self.postgresql:
                lines = staging_lines if self.appending is None else self.appending.lines
                writing = contextlib.nullcontext() if self.appending is None else self.appending.writing(cursor)
                with CheckedChunks(rows, lines) as chunks, writing:
                    for texts in chunks:
                        if self.appending is None:
                            copy_text(cursor, f"COPY {self.names['staging']} ({columns}) FROM STDIN", texts[0])
                        else:
                            self.appending.chunk(cursor, texts)
                        report.hand_over_errors()
                        self.progress.advance(report.rows)
            else:
                insert = f"INSERT INTO {self.names['staging']} ({columns}) VALUES ({', '.join(['%s'] * 12)})"
                reported = 0
                while batch := list(islice(rows, SQLITE_BATCH_ROWS)):
                    cursor.executemany(insert, batch)
                    if report.rows - reported >= SQLITE_PROGRESS_ROWS:
                        report.hand_over_errors()
                        self.progress.advance(reported := report.rows)
        report.hand_over_errors()
        self.progress.advance(report.rows)

    def index_unique(self) -> bool:
        """Index the staging table by force and crime reference; False when a reference repeats in the file."""
        if self.appending is not None and self.appending.appended and self.appending.everything():
            # No reference repeats (`Appending.everything`), and the rules and writes to come have no row left.
            self.names = {**self.names, "staging": self.appending.rest()}
            return True
        with connection.cursor() as cursor:
            try:
                with transaction.atomic():
                    cursor.execute(
                        f"CREATE UNIQUE INDEX decision_import_staging_key ON {self.names['staging']}"
                        " (force_id, reference)"
                    )
            except IntegrityError:
                cursor.execute(
                    f"CREATE INDEX decision_import_staging_key ON {self.names['staging']} (force_id, reference)"
                )
                return False
        if self.appending is not None and self.appending.appended:
            # The rules and writes to come concern only the rows not appended while loading.
            self.names = {**self.names, "staging": self.appending.rest()}
        return True

    def _fetch(self, sql: str, report: ImportReport) -> Iterator[tuple]:
        """The rows of a rule's query: the first `report.listed`, or all of them, a batch at a time through a
        server-side cursor on PostgreSQL, when the report wants every error."""
        if report.wants_every_error:
            # No limit: NULL on PostgreSQL, a negative number on SQLite.
            with connection.chunked_cursor() as cursor:
                cursor.execute(sql.format(**self.names), [None if self.postgresql else -1])
                while rows := cursor.fetchmany(FETCH_ROWS):
                    yield from rows
            return
        with connection.cursor() as cursor:
            cursor.execute(sql.format(**self.names), [report.listed])
            yield from cursor.fetchall()

    def repeated_rows(self, report: ImportReport) -> Iterator[tuple[RowError, int]]:
        """A crime reference a force gives twice in the file: every repeat after the first, with the first's row;
        each with the number of them all."""
        rows = self._fetch(
            "SELECT row_number, reference, first_row, COUNT(*) OVER () FROM ("
            " SELECT row_number, reference, MIN(row_number) OVER (PARTITION BY force_id, reference) AS first_row"
            " FROM {staging}) repeats WHERE row_number > first_row ORDER BY row_number LIMIT %s",
            report,
        )
        for number, reference, first, total in rows:
            message = f'"{reference}" is already in row {first} for the same force'
            yield RowError(number, "crime_reference", message, reference), total

    def signed_off_changes(self, report: ImportReport) -> Iterator[tuple[RowError, int]]:
        """A decision that a signed-off audit has reviewed is evidence: a file may repeat it but not change it;
        each with the number of them all."""
        rows = self._fetch(
            "SELECT s.row_number, s.reference, MIN(a.name), COUNT(*) OVER () FROM {staging} s"
            " JOIN {record} c ON " + MATCH_RECORD + " JOIN {decision} d ON d.crime_record_id = c.id"
            " JOIN {review} r ON r.decision_id = d.id"
            f" JOIN {{audit}} a ON a.id = r.audit_id AND a.status = '{AuditStatus.SIGNED_OFF}'"
            " WHERE NOT (" + SAME_RECORD + " AND " + SAME_DECISION + ")"
            " GROUP BY s.row_number, s.reference ORDER BY s.row_number LIMIT %s",
            report,
        )
        for number, reference, audit, total in rows:
            message = f'"{reference}" is reviewed in the signed-off audit "{audit}": its decision can no longer change'
            yield RowError(number, "crime_reference", message, reference), total

    def counts(self) -> "Counts":
        """How the staged rows compare with what is stored: new when the crime has no decision yet (whether or
        not its crime record exists), unchanged when no value differs, updated otherwise."""
        same = SAME_RECORD + " AND " + SAME_DECISION
        with connection.cursor() as cursor:
            cursor.execute(
                (
                    "SELECT"
                    " COALESCE(SUM(CASE WHEN d.id IS NULL THEN 1 ELSE 0 END), 0),"
                    " COALESCE(SUM(CASE WHEN d.id IS NOT NULL AND NOT (" + same + ") THEN 1 ELSE 0 END), 0),"
                    " COALESCE(SUM(CASE WHEN d.id IS NOT NULL AND " + same + " THEN 1 ELSE 0 END), 0),"
                    " COALESCE(SUM(CASE WHEN c.id IS NOT NULL AND d.id IS NULL THEN 1 ELSE 0 END), 0)"
                    " FROM {staging} s LEFT JOIN {record} c ON " + MATCH_RECORD + ""
                    " LEFT JOIN {decision} d ON d.crime_record_id = c.id"
                ).format(**self.names)
            )
            new, updated, unchanged, records_without_decision = (int(value) for value in cursor.fetchone())
        return Counts(new + self._appended(), updated, unchanged, records_without_decision)

    def _appended(self) -> int:
        return self.appending.appended if self.appending is not None else 0

    def write(self, counts: "Counts") -> None:
        """Update what changed and insert what is new, skipping the statements with nothing to do. A decision
        takes its force and recorded date from its crime record, as `CancellationDecision.save()` does, so the
        database's own checks see the same pair. The crimes appended while loading are written already."""
        counts = counts._replace(new=counts.new - self._appended())
        update_records = (
            "UPDATE {record} AS c SET offence_category = s.offence_category, offence_code = s.offence_code,"
            " recorded_on = s.recorded_on FROM {staging} s WHERE " + MATCH_RECORD + " AND NOT (" + SAME_RECORD + ")"
        )
        update_decisions = (
            "UPDATE {decision} AS d SET force_id = c.force_id, recorded_on = c.recorded_on, outcome = s.outcome,"
            " criterion = s.criterion, decided_on = s.decided_on, authoriser_role = s.authoriser_role,"
            " receiving_force_id = s.receiving_force_id, rationale = s.rationale"
            " FROM {staging} s JOIN {record} c ON " + MATCH_RECORD + ""
            " WHERE d.crime_record_id = c.id AND NOT (" + SAME_DECISION + " AND d.recorded_on = c.recorded_on)"
        )
        new_records = (
            f"INSERT INTO {{record}} ({RECORD_COLUMNS}) SELECT {staged(RECORD_COLUMNS)} FROM {{staging}} s"
            " WHERE NOT EXISTS (SELECT 1 FROM {record} c WHERE " + MATCH_RECORD + ")"
        )
        decision_columns = DECISION_INSERT + " SELECT c.id, c.force_id, c.recorded_on, " + staged(DECISION_VALUES)
        new_decisions = (
            decision_columns + " FROM {staging} s JOIN {record} c ON " + MATCH_RECORD + ""
            " WHERE NOT EXISTS (SELECT 1 FROM {decision} d WHERE d.crime_record_id = c.id)"
        )
        # PostgreSQL inserts new crime records and their decisions in one statement, joining the staged rows
        # to the records just inserted rather than to the whole table.
        new_records_with_decisions = (
            "WITH c AS ("
            + new_records
            + " RETURNING id, force_id, reference, recorded_on) "
            + decision_columns
            + " FROM c JOIN {staging} s ON "
            + MATCH_RECORD
        )
        statements = []
        if counts.updated:
            statements += [update_records, update_decisions]
        if counts.new > counts.records_without_decision:
            statements += [new_records_with_decisions] if self.postgresql else [new_records, new_decisions]
        if counts.records_without_decision and new_decisions not in statements:
            statements.append(new_decisions)
        indexes = None
        if self._loads_in_bulk(counts):
            indexes = SecondaryIndexes.set_aside([self.names["record"], self.names["decision"]])
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.format(**self.names))
        if indexes is not None:
            self.progress.phase(REBUILDING)
            indexes.rebuild()

    def _loads_in_bulk(self, counts: "Counts") -> bool:
        """Whether the file adds so much to what is stored that indexing and checking the whole tables once,
        after the writes, is cheaper than doing it row by row: PostgreSQL only, and at least
        `IMPORT_BULK_MIN_ROWS` new decisions, half or more of the number already stored."""
        if not self.postgresql or counts.new < settings.IMPORT_BULK_MIN_ROWS:
            return False
        with connection.cursor() as cursor:
            # Counts no further than the limit, so a large table costs no more than the file does.
            cursor.execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM {decision} LIMIT %s) stored".format(**self.names),
                [2 * counts.new + 1],
            )
            return cursor.fetchone()[0] <= 2 * counts.new

    def drop(self) -> None:
        if not self.postgresql:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.names['staging']}")


@transaction.atomic
def decision_record(
    *,
    force: Force,
    reference: str,
    offence_category: str,
    recorded_on: date,
    outcome: str,
    criterion: str,
    decided_on: date,
    authoriser_role: str,
    offence_code: str = "",
    receiving_force: Force | None = None,
    rationale: str = "",
) -> CancellationDecision:
    """Record a crime and the decision that removed it, both checked before either is saved.

    Raises `ValidationError` with a message per field (a reference the force already used, a
    criterion that does not fit the outcome, a decision dated before the crime was recorded...).
    """
    record = CrimeRecord(
        force=force,
        reference=reference,
        offence_category=offence_category,
        offence_code=offence_code,
        recorded_on=recorded_on,
    )
    record.full_clean()
    record.save()
    decision = CancellationDecision(
        crime_record=record,
        outcome=outcome,
        criterion=criterion,
        decided_on=decided_on,
        authoriser_role=authoriser_role,
        receiving_force=receiving_force,
        rationale=rationale,
    )
    decision.full_clean()
    decision.save()
    return decision
