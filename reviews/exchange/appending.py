"""Appending to what is stored: a later decisions import that adds less than half as many decisions as are stored
writes its new crimes a chunk at a time as it stages them, while the next chunk is checked, with their foreign keys
checked a query per chunk rather than a trigger per row where the database role allows (PostgreSQL only)."""

import contextlib
import io
from typing import IO, NamedTuple

from django.db import DatabaseError, IntegrityError, connection, transaction

from reviews.exchange.bulk import (
    CHUNK_ROWS,
    DECISION_INSERT,
    DECISION_VALUES,
    RECORD_COLUMNS,
    staged,
    staging_lines,
)
from reviews.exchange.rows import DecisionValues

APPENDED = "decision_import_appended"
# About the size of a row of a decisions file in CSV (the national extract's is 206 bytes): what estimates the rows
# of a file from its size, for deciding whether to append while loading.
APPEND_BYTES_PER_ROW = 200
REST = "decision_import_rest"
# The columns of a decision that a chunk's statement writes from the same staged row, and the same new id, as its
# crime record's (decision column: crime record column): a foreign key from decisions to crime records on these
# holds by the way the rows are written.
WRITTEN_WITH_RECORD = {"crime_record_id": "id", "force_id": "force_id", "recorded_on": "recorded_on"}


class Appending:
    """New crimes written as the file is staged, a chunk at a time, so that the database maintains the tables'
    indexes for one chunk while the next is read and checked in Python, and the cost of adding a row neither waits
    for the whole file nor grows with what is stored (each row is an index lookup, not a scan of the tables).

    A chunk's rows whose force and crime reference are not stored yet get their crime record and decision in one
    statement; a reference already stored (or given earlier in the file) is left in the staging table for the usual
    rules and writes after the load, which see only the rows not appended (`rest`). Nothing is weakened: the
    repeat-in-file check still runs over every staged row, any error still refuses the whole import (rolling back
    what was appended), and every foreign key of the rows appended to other tables is checked as soon as their
    chunk is written (`ForeignKeys`). The keys from decisions to crime records need no check: each decision takes
    its crime record's new id, force and recorded date from the staged row its crime record is written from, in
    the same statement (`WRITTEN_WITH_RECORD`)."""

    def __init__(self, names: dict[str, str]):
        self.names = {**names, "appended": connection.ops.quote_name(APPENDED)}
        self.appended = 0
        # Rows handed over for the staging table, counted in the thread that checks them (`lines`).
        self.staged = 0
        self.after_row = 0
        self.keys: ForeignKeys | None = None
        # Whether every crime appended so far was new (`_write`), and the last row of the chunks written so; the
        # sequence that numbers crime records.
        self.all_new = True
        self.all_new_through = 0
        self.sequence = ""

    def prepare(self, file: IO[bytes]) -> bool:
        """Get ready to append while `file` is loaded, if that is the faster way (`wanted`); whether it is."""
        if not self.wanted(file):
            return False
        with connection.cursor() as cursor:
            # Each chunk is found by its row numbers, which only grow.
            cursor.execute(f"CREATE INDEX decision_import_staging_row ON {self.names['staging']} (row_number)")
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
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [self.names["record"]])
            (self.sequence,) = cursor.fetchone()
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

    def lines(self, rows: list[DecisionValues]) -> tuple[str]:
        """A chunk's rows as COPY text for the staging table, in the order the chunk's statement writes them (by
        force and crime reference, then row): sorting them there then finds them in order, which costs one
        comparison a row rather than a sort in the database, done while the database writes the last chunk."""
        self.staged += len(rows)
        rows.sort(key=_in_writing_order)
        return staging_lines(rows)

    def writing(self, cursor):
        """Around the whole load: the chunks' statements run without the foreign keys' triggers, when the keys
        are checked set-wise (`ForeignKeys.checked_set_wise`); nothing else is written meanwhile."""
        return self.keys.checked_set_wise(cursor)

    def chunk(self, cursor) -> None:
        """Write the new crimes among the rows staged since the last chunk, and check their foreign keys; within
        `writing`."""
        if not self.after_row:
            # Statistics for the staging table, so that each later chunk is found by the index on its row numbers
            # rather than by reading every row staged so far (a temporary table is never analysed otherwise).
            cursor.execute(f"ANALYZE {self.names['staging']}")
        appended, last_row, *id_ranges = self._write(cursor)
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
                self.all_new = False
        cursor.execute(self._statement(all_new=False), [self.sequence, self.after_row])
        return cursor.fetchone()

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
