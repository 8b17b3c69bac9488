"""Appending to what is stored: a later decisions import that adds less than half as many decisions as are stored
writes its new crimes a chunk at a time as it stages them, while the next chunk is checked, with their foreign keys
checked a query per chunk rather than a trigger per row where the database role allows (PostgreSQL only)."""

import contextlib
import io
import queue
from typing import IO, NamedTuple

from django.db import DatabaseError, IntegrityError, connection, transaction

from reviews.exchange import bulk
from reviews.exchange.bulk import (
    CHUNK_ROWS,
    DECISION_COLUMNS,
    DECISION_INSERT,
    DECISION_VALUES,
    RECORD_COLUMNS,
    STAGING_COLUMNS,
    STAGING_KEY_COLUMNS,
    FirstLoadLines,
    copy_text,
    staged,
    staging_key_lines,
    staging_lines,
)
from reviews.exchange.rows import DecisionValues

APPENDED = "decision_import_appended"
# About the size of a row of a decisions file in CSV (the national extract's is 206 bytes): what estimates the rows
# of a file from its size, for deciding whether to append while loading.
APPEND_BYTES_PER_ROW = 200
REST = "decision_import_rest"
# Chunks whose ids are drawn before the first is written (`Appending.writing`): the thread that checks the rows may
# be two chunks ahead of the database.
CHUNKS_DRAWN_AHEAD = 3
# The columns of a decision that a chunk is written with from the same row of the file, and the same new id, as its
# crime record (decision column: crime record column): a foreign key from decisions to crime records on these holds
# by the way the rows are written.
WRITTEN_WITH_RECORD = {"crime_record_id": "id", "force_id": "force_id", "recorded_on": "recorded_on"}


class Appending:
    """New crimes written as the file is staged, a chunk at a time, so that the database maintains the tables'
    indexes for one chunk while the next is read and checked in Python, and the cost of adding a row neither waits
    for the whole file nor grows with what is stored (each row is an index lookup, not a scan of the tables).

    While every crime appended has been new, each chunk's crime records and decisions are copied straight into
    their tables, numbered from ids drawn ahead for the chunk (`_copy`), which costs the database a third less than
    a statement writing them from the staging table. The first chunk holding a crime reference already stored (or
    given twice) is undone and written by a statement instead, as every later chunk is (`_write`): the rows whose
    reference is not stored yet get their crime record and decision; one already stored (or given earlier in the
    file) is left in the staging table for the usual rules and writes after the load, which see only the rows not
    appended (`rest`). Nothing is weakened: every row is staged, so the repeat-in-file check still runs over them
    all; any error still refuses the whole import (rolling back what was appended); and every foreign key of the
    rows appended to other tables is checked as soon as their chunk is written (`ForeignKeys`). The key from
    decisions to crime records needs no check: either way each decision takes its crime record's new id, force
    and recorded date from the same values as its crime record (`WRITTEN_WITH_RECORD`)."""

    def __init__(self, names: dict[str, str]):
        self.names = {**names, "appended": connection.ops.quote_name(APPENDED)}
        self.appended = 0
        # Rows handed over for the staging table, counted in the thread that checks them (`lines`).
        self.staged = 0
        self.after_row = 0
        self.keys: ForeignKeys | None = None
        # Whether every crime appended so far was new (`_write`), and the last row of the chunks written so; the
        # sequences that number crime records and decisions.
        self.all_new = True
        self.all_new_through = 0
        self.sequence = ""
        self.decision_sequence = ""
        # Ids drawn for the chunks to come, for the thread that checks them (`_draw`, `lines`): the first crime
        # record's and decision's ids of a run as long as a chunk, or None once no more are drawn.
        self.ids: queue.SimpleQueue = queue.SimpleQueue()
        self.drawing = True
        self.analysed = False

    def prepare(self, file: IO[bytes]) -> bool:
        """Get ready to append while `file` is loaded, if that is the faster way (`wanted`); whether it is."""
        if not self.wanted(file):
            return False
        with connection.cursor() as cursor:
            # Each chunk is found by its row numbers, which only grow.
            cursor.execute(f"CREATE INDEX decision_import_staging_row ON {self.names['staging']} (row_number)")
            # A row whose crime is copied straight into the tables is staged with its key columns alone (`chunk`).
            others = [column for column in STAGING_COLUMNS if column not in STAGING_KEY_COLUMNS]
            nullable = ", ".join(f"ALTER COLUMN {column} DROP NOT NULL" for column in others)
            cursor.execute(f"ALTER TABLE {self.names['staging']} {nullable}")
            # Left by an earlier import in the same transaction, if any, as the staging table may be.
            cursor.execute(f"DROP TABLE IF EXISTS {self.names['appended']}, {connection.ops.quote_name(REST)}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.names['appended']} (row_number integer NOT NULL) ON COMMIT DROP"
            )
        self.keys = ForeignKeys.of(
            [self.names["record"], self.names["decision"]],
            written_together=(self.names["decision"], self.names["record"], WRITTEN_WITH_RECORD),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, 'id'), pg_get_serial_sequence(%s, 'id')",
                [self.names["record"], self.names["decision"]],
            )
            self.sequence, self.decision_sequence = cursor.fetchone()
        return True

    def wanted(self, file: IO[bytes]) -> bool:
        """Whether `file` has two chunks or more, so that checking one overlaps writing the other, and adds less
        than half as many decisions as are stored (otherwise setting the indexes aside for the writes is cheaper,
        `SecondaryIndexes`). Its rows are estimated from its size."""
        position = file.tell()
        rows = file.seek(0, io.SEEK_END) // APPEND_BYTES_PER_ROW
        file.seek(position)
        if rows < 2 * CHUNK_ROWS:
            return False
        with connection.cursor() as cursor:
            # Counts no further than needed, so a large table costs no more than the file does.
            cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {self.names['decision']} LIMIT %s) stored", [2 * rows])
            return cursor.fetchone()[0] >= 2 * rows

    def lines(self, rows: list[DecisionValues]) -> tuple:
        """A chunk's rows as COPY text for the staging table, in the order the chunk is written (by force and crime
        reference, then row); the chunk's last row; and, while ids are drawn for the chunks (`writing`), the rows
        as COPY text for the crime records and decisions themselves, numbered from the ids drawn for the chunk:
        (first ids, crime records' text, decisions' text, the rows themselves), else None; then the staging
        table's text holds the rows' key columns alone. Runs in the thread that checks the rows, while the
        database writes the chunk before: sorting them here finds them in order in the database, for one
        comparison a row."""
        self.staged += len(rows)
        last_row = rows[-1].row_number
        rows.sort(key=_in_writing_order)
        first_ids = self.ids.get() if self.drawing else None
        if first_ids is None:
            self.drawing = False
            (staging,) = staging_lines(rows)
            return staging, last_row, None
        return staging_key_lines(rows), last_row, (first_ids, *FirstLoadLines(first_ids)(rows), rows)

    @contextlib.contextmanager
    def writing(self, cursor):
        """Around the whole load: the chunks are written without the foreign keys' triggers, when the keys are
        checked set-wise (`ForeignKeys.checked_set_wise`), and ids are drawn ahead for the chunks to come
        (`_draw`); nothing else is written meanwhile."""
        try:
            with self.keys.checked_set_wise(cursor):
                for _ in range(CHUNKS_DRAWN_AHEAD):
                    self._draw(cursor)
                yield
        finally:
            # The thread that checks the rows waits for no more ids.
            self.ids.put(None)

    def _draw(self, cursor) -> None:
        """Draw ids for one more chunk of crime records and decisions from their sequences, while every crime
        appended has been new, and hand them to the thread that checks the rows. They are handed over only when
        each sequence gave a run of consecutive ids (no one else drew from it meanwhile, as is usual), so that a
        chunk is numbered from its first ids; otherwise none are, and the chunk is written by a statement that
        draws its own (`_write`). Ids drawn and not used are a gap in the numbering, as a rolled-back insert
        leaves."""
        if not self.all_new:
            return
        size = bulk.CHUNK_ROWS
        cursor.execute(
            "WITH drawn AS (SELECT nextval(%s::regclass) AS record, nextval(%s::regclass) AS decision"
            " FROM generate_series(1, %s)) SELECT MIN(record), MAX(record), MIN(decision), MAX(decision) FROM drawn",
            [self.sequence, self.decision_sequence, size],
        )
        record, last_record, decision, last_decision = cursor.fetchone()
        if last_record - record + 1 == size and last_decision - decision + 1 == size:
            self.ids.put((record, decision))
        else:
            self.ids.put(None)

    def chunk(self, cursor, texts: tuple) -> None:
        """Stage a chunk (`texts`, from `lines`) and write its new crimes, and check their foreign keys; within
        `writing`. A chunk copied straight into the tables is staged by its key columns alone: the rules between
        rows need no more of it, and the rules and writes after the load see only the rows not appended (`rest`).
        Otherwise it is staged whole, then written by a statement."""
        staging, last_row, numbered = texts
        written = self._copy(cursor, last_row, *numbered) if numbered is not None else None
        if written is not None:
            columns = ", ".join(STAGING_KEY_COLUMNS)
            copy_text(cursor, f"COPY {self.names['staging']} ({columns}) FROM STDIN", staging)
            self._draw(cursor)
        else:
            if numbered is not None:
                (staging,) = staging_lines(numbered[-1])
            copy_text(cursor, f"COPY {self.names['staging']} ({', '.join(STAGING_COLUMNS)}) FROM STDIN", staging)
            if not self.analysed:
                # Statistics for the staging table, so that each chunk is found by the index on its row numbers
                # rather than by reading every row staged so far (a temporary table is never analysed otherwise).
                cursor.execute(f"ANALYZE {self.names['staging']}")
                self.analysed = True
            written = self._write(cursor)
        appended, last_row, *id_ranges = written
        self.appended += appended
        self.after_row = last_row if last_row is not None else self.after_row
        if self.all_new:
            self.all_new_through = self.after_row
        if appended:
            self.keys.check(
                cursor,
                {
                    self.names["record"]: (id_ranges[0], id_ranges[1]),
                    self.names["decision"]: (id_ranges[2], id_ranges[3]),
                },
            )

    def _copy(self, cursor, last_row: int, first_ids: tuple[int, int], records: str, decisions: str, rows: list):
        """Copy a chunk's crime records and decisions straight into their tables, numbered from the ids drawn for
        them, while every crime appended has been new: `_write`'s figures, or None when a crime reference of the
        chunk is stored (or repeated in it). Then the copy is undone, no more ids are drawn, and the chunk is
        written asking, as every later chunk is. Each decision's crime record id, force and recorded date are the
        same values as its crime record's, as `_write` writes them (`WRITTEN_WITH_RECORD`)."""
        if not self.all_new:
            return None
        first_record, first_decision = first_ids
        try:
            # COPY is the driver's own call: its errors become Django's here, as a statement's do.
            with transaction.atomic(), connection.wrap_database_errors:
                copy_text(cursor, f"COPY {self.names['record']} (id, {RECORD_COLUMNS}) FROM STDIN", records)
                copy_text(cursor, f"COPY {self.names['decision']} (id, {DECISION_COLUMNS}) FROM STDIN", decisions)
        except IntegrityError:
            self._asking()
            return None
        count = len(rows)
        return count, last_row, first_record, first_record + count - 1, first_decision, first_decision + count - 1

    def _write(self, cursor) -> tuple:
        """The chunk's statement, and its one row. While every chunk's crimes have been new, the next is written as
        if its are too: without asking the crime references' index first whether each is stored (which costs an
        index search a row), and with each decision written straight from its staged row rather than from the
        crime records the statement wrote. Should a crime be stored, the index refuses it, the chunk is undone and
        written again asking, as every later chunk is then. Either way the same rows are written.

        Every row of a chunk written as wholly new is appended (but for a reference repeated within it, which the
        staging table's key then refuses), so only the chunks written asking note the rows they append (`rest`)."""
        if self.all_new:
            try:
                with transaction.atomic():
                    cursor.execute(self._statement(all_new=True), [self.sequence, self.after_row])
                    return cursor.fetchone()
            except IntegrityError:
                self._asking()
        cursor.execute(self._statement(all_new=False), [self.sequence, self.after_row])
        return cursor.fetchone()

    def _asking(self) -> None:
        """From now on every chunk asks whether each crime is stored: no more ids are drawn for the chunks to come,
        and the thread that checks the rows waits for none."""
        self.all_new = False
        self.ids.put(None)

    def _statement(self, *, all_new: bool) -> str:
        # The crimes written: every one staged when all are new, else those whose reference is not stored yet.
        written = "s" if all_new else "c JOIN s ON c.id = s.id"
        return (
            # One row per crime reference of the chunk (a repeat is refused later, by the staging table's key), in
            # the order of the references' index, numbered here so that a decision finds its crime record's id.
            "WITH s AS MATERIALIZED (SELECT DISTINCT ON (force_id, reference) nextval(%s::regclass) AS id, *"
            " FROM {staging} WHERE row_number > %s ORDER BY force_id, reference, row_number),"
            " c AS (INSERT INTO {record} (id, "
            + RECORD_COLUMNS
            + ") SELECT s.id, "
            + staged(RECORD_COLUMNS)
            + " FROM s"
            + ("" if all_new else " ON CONFLICT (force_id, reference) DO NOTHING")
            + " RETURNING id),"
            " d AS ("
            + DECISION_INSERT
            + " SELECT s.id, s.force_id, s.recorded_on, "
            + staged(DECISION_VALUES)
            + f" FROM {written} RETURNING id)"
            + ("" if all_new else f", a AS (INSERT INTO {{appended}} (row_number) SELECT s.row_number FROM {written})")
            + " SELECT d.count, s.last, c.first, c.last, d.first, d.last"
            " FROM (SELECT COUNT(*) AS count, MIN(id) AS first, MAX(id) AS last FROM d) d,"
            " (SELECT MAX(row_number) AS last FROM s) s, (SELECT MIN(id) AS first, MAX(id) AS last FROM c) c"
        ).format(**self.names)

    def everything(self) -> bool:
        """Whether every row staged was appended, once the file is loaded: then each of its crime references was
        new to the crime records' unique index, so none repeats in the file, and no row is left (`rest`)."""
        return self.staged == self.appended

    def rest(self) -> str:
        """The staged rows not appended, in a table of their own indexed as the staging table is; its name. Called
        once the staging table's key holds: no reference repeats in the file, so every row of a chunk written as
        wholly new was appended."""
        names = {**self.names, "rest": connection.ops.quote_name(REST)}
        rows = " WITH NO DATA" if self.everything() else ""
        with connection.cursor() as cursor:
            cursor.execute(
                (
                    "CREATE TEMPORARY TABLE {rest} ON COMMIT DROP AS SELECT * FROM {staging} s WHERE s.row_number > %s"
                    " AND NOT EXISTS (SELECT 1 FROM {appended} a WHERE a.row_number = s.row_number)" + rows
                ).format(**names),
                [self.all_new_through],
            )
            cursor.execute(f"CREATE UNIQUE INDEX decision_import_rest_key ON {names['rest']} (force_id, reference)")
            cursor.execute(f"ANALYZE {names['rest']}")
        return names["rest"]


def _in_writing_order(row: DecisionValues) -> tuple[int, str, int]:
    return row.force_id, row.reference, row.row_number


class _ForeignKey(NamedTuple):
    table: str
    name: str
    columns: list[str]
    referenced: str
    # Whether the referenced table is one of those the import appends to.
    among: bool
    referenced_columns: list[str]
    deferred: bool
    # Whether the rows the import writes meet the key by the way they are written (`ForeignKeys.of`).
    holds: bool


class ForeignKeys:
    """The foreign keys of the tables an import appends to, from the database's catalogue, and two ways of checking
    them for the rows a statement adds.

    Where the database role may set `session_replication_role` (a superuser, or a role granted that right), the
    statement runs without the keys' row-by-row triggers, and each key is then checked in one query over the rows
    added, with the rows they refer to in other tables locked as the triggers would lock them (`FOR KEY SHARE`, so
    that no one deletes a force meanwhile). That needs the tables to have no triggers but those of foreign keys,
    which the catalogue says. Otherwise the triggers run, and the keys deferred to the commit are checked at once
    (`SET CONSTRAINTS ... IMMEDIATE`), while the next chunk is read. Either way the constraints stay valid and every
    row added is checked: the first costs a few queries a chunk instead of one per row and key.

    A key that the rows meet by the way they are written (`written_together`) is not checked set-wise."""

    def __init__(self, keys: list[_ForeignKey], *, set_wise: bool):
        self.keys = keys
        self.set_wise = set_wise
        self.deferred = ", ".join(f"{key.name}" for key in keys if key.deferred)
        self.checked = [key for key in keys if not key.holds]

    @classmethod
    def of(cls, tables: list[str], *, written_together: tuple[str, str, dict[str, str]] | None = None) -> "ForeignKeys":
        """The keys of `tables`. `written_together`: (table, referenced table, {column: referenced column}) when
        every row the import writes to the first table takes those columns' values from the same values as the
        row of the referenced table it writes with them: a key of the first to the second on those columns alone
        then holds, and needs no check."""
        regclasses = ", ".join(f"'{table}'::regclass" for table in tables)
        source, target, same = written_together or (None, None, {})
        keys, matches = [], []
        with connection.cursor() as cursor:
            for table in tables:
                into_target = f"c.confrelid = '{target}'::regclass" if target is not None else "false"
                cursor.execute(
                    "SELECT quote_ident(c.conname), c.confrelid::regclass::text, c.confrelid IN (" + regclasses + "),"
                    f" c.condeferred, c.confmatchtype, {into_target},"
                    " ARRAY(SELECT quote_ident(attname) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)"
                    "  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY n),"
                    " ARRAY(SELECT quote_ident(attname) FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n)"
                    "  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY n)"
                    f" FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = '{table}'::regclass ORDER BY 1"
                )
                for name, referenced, among, deferred, match, into, columns, referenced_columns in cursor.fetchall():
                    pairs = zip(columns, referenced_columns, strict=True)
                    holds = table == source and into and all(same.get(ours) == theirs for ours, theirs in pairs)
                    keys.append(
                        _ForeignKey(table, name, columns, referenced, among, referenced_columns, deferred, holds)
                    )
                    matches.append(match)
            # Any trigger other than a foreign key's would be skipped too; a MATCH FULL key is checked otherwise.
            cursor.execute(
                "SELECT 1 FROM pg_trigger t LEFT JOIN pg_constraint c ON c.oid = t.tgconstraint"
                f" WHERE t.tgrelid IN ({regclasses}) AND t.tgenabled <> 'D' AND c.contype IS DISTINCT FROM 'f' LIMIT 1"
            )
            set_wise = cursor.fetchone() is None and all(match == "s" for match in matches)
            if set_wise:
                try:
                    with transaction.atomic():
                        cursor.execute("SELECT set_config('session_replication_role', 'origin', true)")
                except DatabaseError:
                    set_wise = False
        return cls(keys, set_wise=set_wise)

    @contextlib.contextmanager
    def checked_set_wise(self, cursor):
        """Run the statements within without the keys' triggers, when the keys are checked set-wise."""
        if not self.set_wise:
            yield
            return
        cursor.execute("SELECT set_config('session_replication_role', 'replica', true)")
        # Not put back when a statement within fails: the setting is the transaction's own, and it is being undone
        # (putting it back would only replace the statement's error with "current transaction is aborted").
        yield
        cursor.execute("SELECT set_config('session_replication_role', 'origin', true)")

    def check(self, cursor, added: dict[str, tuple[int | None, int | None]]) -> None:
        """Check the keys of the rows just added (for each table, the rows whose ids are in the range given: there
        may be others' among them, which are checked too) or, with the triggers, the checks they deferred."""
        if not self.set_wise:
            if self.deferred:
                cursor.execute(f"SET CONSTRAINTS {self.deferred} IMMEDIATE")
                cursor.execute(f"SET CONSTRAINTS {self.deferred} DEFERRED")
            return
        for key in self.checked:
            first, last = added.get(key.table, (None, None))
            if first is None:
                continue
            cursor.execute(_missing(key), [first, last])
            if cursor.fetchone() is not None:
                raise IntegrityError(f'insert into {key.table} violates foreign key constraint "{key.name}"')


def _missing(key: _ForeignKey) -> str:
    """A query with a row when one of the rows of `key.table` whose ids are between two parameters refers through
    `key` to a row that does not exist."""
    present = " AND ".join(f"n.{column} IS NOT NULL" for column in key.columns)
    added = f"FROM {key.table} n WHERE n.id BETWEEN %s AND %s AND {present}"
    if key.among:
        # Rows of the two tables that the rows added refer to were added by this import, and no one else sees
        # them: nothing to lock, and each row added is looked up as it is.
        match = " AND ".join(
            f"r.{theirs} = n.{ours}" for ours, theirs in zip(key.columns, key.referenced_columns, strict=True)
        )
        return f"SELECT 1 {added} AND NOT EXISTS (SELECT 1 FROM {key.referenced} r WHERE {match}) LIMIT 1"
    # Rows of other tables (a few forces for many rows) are locked, as the triggers lock them, each once: the keys
    # are distinct and the rows they refer to unique, so as many of those as keys means none is missing.
    columns = ", ".join(f"n.{column}" for column in key.columns)
    match = " AND ".join(
        f"r.{theirs} = k.{ours}" for ours, theirs in zip(key.columns, key.referenced_columns, strict=True)
    )
    return (
        f"WITH k AS MATERIALIZED (SELECT DISTINCT {columns} {added}), found AS (SELECT 1 FROM {key.referenced} r"
        f" WHERE EXISTS (SELECT 1 FROM k WHERE {match}) FOR KEY SHARE OF r)"
        " SELECT 1 WHERE (SELECT COUNT(*) FROM k) > (SELECT COUNT(*) FROM found)"
    )
