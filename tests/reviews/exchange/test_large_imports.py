"""How `import_decisions` writes a large file on PostgreSQL, and that every way of writing it ends in the same rows.

A first load (the tables hold no crime record) is copied straight into the tables, with their secondary indexes
and foreign keys set aside and built again at the end; a later load that adds as many decisions as are stored
builds them again once after its writes; one that adds fewer writes its new crimes as it stages them, row by row.
Whichever way, the rows, the rules and the messages are the same, and nothing is kept of a file that breaks one."""

import threading

import psycopg2
import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from reviews.exchange import appending, bulk, decisions
from reviews.models import CancellationDecision
from tests.factories import AuditFactory, DecisionFactory, ReviewFactory, force, sign_off
from tests.reviews.exchange.importing import (
    LOADS,
    csv_bytes,
    decision_row,
    run_import,
    schema,
    snapshot,
    start_over,
    write,
)

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk loads are PostgreSQL's")

ODD_TEXT = 'Tab\there, a "quote", a back\\slash,\nand a second line.'


def a_file(count: int) -> list[dict[str, str]]:
    """`count` decisions of two forces, transfers among them, with the free text COPY must escape."""
    rows = []
    for number in range(count):
        row = decision_row(crime_reference=f"NH/26/{number:06d}")
        if number % 4 == 2:
            row.update(force="kent", recorded_on="05/01/2026", decided_on="20/01/2026", offence_category="Robbery")
        if number % 3 == 1:
            receiving = "Kent Police" if row["force"] != "kent" else "Northamptonshire Police"
            row.update(outcome="transferred", criterion="C1", receiving_force=receiving, offence_code="34b")
        if number % 5 == 3:
            row.update(rationale=ODD_TEXT, crime_reference=f"K\\{number}")
        rows.append(row)
    return rows


def stored_values() -> list[tuple]:
    """Every stored decision with its crime record, as plain values without the ids the database chose."""
    return sorted(
        CancellationDecision.objects.values_list(
            "crime_record__force__code",
            "crime_record__reference",
            "crime_record__offence_category",
            "crime_record__offence_code",
            "crime_record__recorded_on",
            "force__code",
            "recorded_on",
            "outcome",
            "criterion",
            "decided_on",
            "authoriser_role",
            "receiving_force__code",
            "rationale",
        )
    )


@pytest.fixture
def first_loads(monkeypatch):
    """The outcome of each attempt at a first load: the report, or None when the file was read the usual way."""
    outcomes = []
    first_load = decisions.first_load

    def recorded(*args, **kwargs):
        outcomes.append(first_load(*args, **kwargs))
        return outcomes[-1]

    monkeypatch.setattr(decisions, "first_load", recorded)
    return outcomes


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of three rows, so that a handful of rows takes several COPYs, as 200,000 would."""
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 3)


def import_file(tmp_path, rows) -> tuple[str, str, bool]:
    return run_import("import_decisions", write(tmp_path, csv_bytes(rows)))


def test_a_first_load_stores_what_a_later_load_stores(tmp_path, monkeypatch, small_chunks, first_loads):
    rows = a_file(20)

    out, err, ok = import_file(tmp_path, rows)

    assert ok, err
    assert "Imported 20 decisions: 20 new, 0 updated, 0 unchanged." in out
    first = stored_values()
    assert len(first) == 20
    assert any(row[1] == "K\\3" for row in first)
    assert any(row[-1] == ODD_TEXT for row in first)
    start_over("later load", monkeypatch)

    out, err, ok = import_file(tmp_path, rows)

    assert ok, err
    assert "Imported 20 decisions: 20 new, 0 updated, 0 unchanged." in out
    assert [row for row in stored_values() if row[1] != "stored"] == first
    if connection.vendor == "postgresql":
        assert first_loads[0] is not None, "the first file was a first load"
        assert first_loads[1] is None, "the second was not: a crime record was stored"


@postgresql_only
def test_a_first_load_builds_every_index_and_key_again_and_moves_the_ids_on(tmp_path, small_chunks, first_loads):
    before = schema()

    assert import_file(tmp_path, a_file(10))[2]

    assert first_loads[0] is not None
    assert schema() == before
    highest = CancellationDecision.objects.order_by("-pk").values_list("pk", "crime_record_id").first()
    made = DecisionFactory()
    assert made.pk > highest[0]
    assert made.crime_record_id > highest[1]
    # The rebuilt keys hold: a decision cannot claim another force than its crime record's.
    claim = "UPDATE reviews_cancellationdecision SET force_id = %s WHERE id = %s"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(IntegrityError, match="decision_matches_crime_record"), transaction.atomic():
            cursor.execute(claim, [force("kent").pk, highest[0]])


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"criterion": "C9"}, 'row 10, criterion: "C9" is not one of C1-C5'),
        ({"crime_reference": "NH/26/000001"}, 'row 10, crime_reference: "NH/26/000001" is already in row 3'),
    ],
    ids=["a row error", "a reference repeated"],
)
def test_a_first_load_that_breaks_a_rule_in_a_later_chunk_keeps_nothing(tmp_path, small_chunks, broken, message):
    rows = a_file(12)
    rows[8].update(broken)  # row 10 of the file: the header is row 1
    rows[11]["force"] = "Nowhere"
    before = snapshot()

    out, err, ok = import_file(tmp_path, rows)

    assert not ok
    assert message in err
    assert 'row 13, force: no force called "Nowhere"' in err, "every error is reported, not just the first"
    assert "Nothing was imported: the file has 2 errors." in err
    assert snapshot() == before


def test_a_file_that_stops_being_csv_part_way_keeps_nothing(tmp_path, small_chunks):
    rows = a_file(12)
    rows[9]["rationale"] = "x" * 200_000  # past the csv module's limit on a field
    before = snapshot()

    out, err, ok = import_file(tmp_path, rows)

    assert not ok
    assert "The file stops being readable CSV after row" in err
    assert snapshot() == before


@postgresql_only
def test_tables_in_use_are_not_taken_the_file_is_written_row_by_row(tmp_path, settings, first_loads):
    settings.IMPORT_BULK_LOCK_TIMEOUT = "200ms"
    options = connection.settings_dict
    reader = psycopg2.connect(
        dbname=options["NAME"], host=options["HOST"], port=options["PORT"] or 5432, user=options["USER"]
    )
    reading, done = threading.Event(), threading.Event()

    def read_for_a_while():
        with reader.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM reviews_cancellationdecision")  # holds a lock until it commits
            reading.set()
            done.wait(timeout=30)
        reader.rollback()

    thread = threading.Thread(target=read_for_a_while)
    thread.start()
    try:
        assert reading.wait(timeout=10)
        out, err, ok = import_file(tmp_path, a_file(6))
    finally:
        done.set()
        thread.join()
        reader.close()

    assert ok, err
    assert "Imported 6 decisions: 6 new" in out
    assert first_loads == [None]
    assert CancellationDecision.objects.count() == 6


@postgresql_only
@pytest.mark.parametrize(("minimum", "rebuilt"), [(4, True), (10_000, False)])
def test_a_later_load_adding_many_decisions_builds_the_keys_once(tmp_path, settings, minimum, rebuilt):
    settings.IMPORT_BULK_MIN_ROWS = minimum
    assert import_file(tmp_path, a_file(4))[2]
    before = schema()
    rows = [decision_row(crime_reference="NH/26/000000", criterion="C4")] + a_file(12)[4:]

    with CaptureQueriesContext(connection) as queries:
        out, err, ok = import_file(tmp_path, rows)

    assert ok, err
    assert "Imported 9 decisions: 8 new, 1 updated, 0 unchanged." in out
    assert any(query["sql"].startswith("DROP INDEX") for query in queries) is rebuilt
    assert schema() == before
    assert CancellationDecision.objects.get(crime_record__reference="NH/26/000000").criterion == "C4"
    assert CancellationDecision.objects.count() == 12


@pytest.mark.parametrize("load", LOADS)
def test_the_number_of_queries_grows_with_the_chunks_not_the_rows(tmp_path, monkeypatch, load):
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 10)
    monkeypatch.setattr(decisions, "SQLITE_BATCH_ROWS", 10)
    counts = {}
    for size in (11, 20, 30, 40):
        start_over(load, monkeypatch)
        with CaptureQueriesContext(connection) as queries:
            assert import_file(tmp_path, a_file(size))[2]
        counts[size] = len(queries)

    assert counts[11] == counts[20], "two chunks each"
    per_chunk = counts[30] - counts[20]
    assert counts[40] - counts[30] == per_chunk
    # One COPY (or batched insert) per chunk into the staging table; on a first load, one into each table; when
    # appending while loading, a COPY, the statement writing the chunk's new crimes and their keys' checks.
    if connection.vendor == "sqlite" or load == "later load":
        assert per_chunk == 1
    elif load == "first load":
        assert per_chunk == 2
    else:
        assert 2 < per_chunk <= 10


def store_six(tmp_path, monkeypatch, *, then: str) -> None:
    """Store the first six rows of `a_file`; the next file is imported as `then` (see `LOADS`)."""
    start_over("first load", monkeypatch)
    assert import_file(tmp_path, a_file(6))[2]
    connection.check_constraints()
    monkeypatch.setattr(appending.Appending, "wanted", lambda self, file: then == "append while loading")


def an_append(*, stored: str = "first") -> list[dict[str, str]]:
    """Two of the six stored rows (one changed, one the same) among fourteen new ones: the `stored` ("first" or
    "last") rows of the file; or ("none") the new ones alone."""
    rows = a_file(20)
    rows[0].update(criterion="C4")
    return {"first": rows[:2] + rows[6:], "last": rows[6:] + rows[:2], "none": rows[6:]}[stored]


@pytest.fixture(params=["set-wise", "by the triggers"])
def key_checks(request, monkeypatch):
    """How the foreign keys of the rows appended are checked: set-wise where the database role may (see
    `appending.ForeignKeys`), or by the keys' own triggers, as for a role that may not."""
    if request.param == "by the triggers":
        of = appending.ForeignKeys.of

        def by_the_triggers(tables, **written):
            keys = of(tables, **written)
            keys.set_wise = False
            return keys

        monkeypatch.setattr(appending.ForeignKeys, "of", staticmethod(by_the_triggers))
    return request.param


def sequences_stepping_by_two() -> None:
    """Crime records and decisions numbered two apart, so that no run of ids drawn is consecutive, as when someone
    else draws from the sequences meanwhile."""
    with connection.cursor() as cursor:
        for table in ("reviews_crimerecord", "reviews_cancellationdecision"):
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (sequence,) = cursor.fetchone()
            cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 2")


@postgresql_only
# Stored rows first: the first chunk already asks whether each crime is stored; last: the chunks before are written
# as wholly new until the one holding them; none: every row is appended, and none is left for after the load.
@pytest.mark.parametrize("stored_rows", ["first", "last", "none"])
# Wholly new chunks are copied straight in, numbered from ids drawn ahead; when the ids drawn are not consecutive,
# by a statement that draws its own.
@pytest.mark.parametrize("ids", ["consecutive", "not consecutive"])
def test_appending_while_loading_stores_what_writing_after_the_rules_stores(
    tmp_path, monkeypatch, small_chunks, key_checks, stored_rows, ids
):
    stored = {}
    for load in ("later load", "append while loading"):
        before = schema()
        with CaptureQueriesContext(connection) as queries:
            store_six(tmp_path, monkeypatch, then=load)
            if ids == "not consecutive":
                sequences_stepping_by_two()
            out, err, ok = import_file(tmp_path, an_append(stored=stored_rows))

        assert ok, err
        if stored_rows == "none":
            assert "Imported 14 decisions: 14 new, 0 updated, 0 unchanged." in out
        else:
            assert "Imported 16 decisions: 14 new, 1 updated, 1 unchanged." in out
        assert schema() == before
        appended = any("decision_import_appended" in query["sql"] for query in queries)
        assert appended is (load == "append while loading")
        by_statement = any("DISTINCT ON (force_id, reference) nextval" in query["sql"] for query in queries)
        assert by_statement is (appended and (stored_rows != "none" or ids == "not consecutive"))
        stored[load] = stored_values()
    assert stored["append while loading"] == stored["later load"]
    assert len(stored["later load"]) == 20
    changed = any(row[1] == "NH/26/000000" and row[8] == "C4" for row in stored["later load"])
    assert changed is (stored_rows != "none")


@postgresql_only
@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"criterion": "C9"}, 'row 12, criterion: "C9" is not one of C1-C5'),
        ({"crime_reference": "NH/26/000006"}, 'row 12, crime_reference: "NH/26/000006" is already in row 4'),
        (
            {"crime_reference": "NH/26/000001", "force": "northamptonshire"},
            'row 12, crime_reference: "NH/26/000001" is already in row 3',
        ),
    ],
    ids=["a row error", "a new reference repeated", "a stored reference repeated"],
)
def test_appending_while_loading_a_file_that_breaks_a_rule_keeps_nothing(
    tmp_path, monkeypatch, small_chunks, key_checks, broken, message
):
    rows = an_append()
    assert rows[10]["force"] == rows[2]["force"] == "kent"
    rows[10].update(broken)  # row 12 of the file: the header is row 1
    rows[-1]["force"] = "Nowhere"
    store_six(tmp_path, monkeypatch, then="append while loading")
    before = snapshot()

    out, err, ok = import_file(tmp_path, rows)

    assert not ok
    assert message in err
    assert f'row {len(rows) + 1}, force: no force called "Nowhere"' in err, "every error is reported"
    assert snapshot() == before


@postgresql_only
@pytest.mark.parametrize("repeat", [1, 4], ids=["in the same chunk", "in a later chunk"])
def test_appending_new_crimes_only_still_refuses_a_reference_given_twice(
    tmp_path, monkeypatch, small_chunks, key_checks, repeat
):
    rows = an_append(stored="none")
    rows[repeat] = dict(rows[0])
    store_six(tmp_path, monkeypatch, then="append while loading")
    before = snapshot()

    out, err, ok = import_file(tmp_path, rows)

    assert not ok
    assert f'row {repeat + 2}, crime_reference: "{rows[0]["crime_reference"]}" is already in row 2' in err
    assert snapshot() == before


@postgresql_only
def test_appending_while_loading_keeps_signed_off_evidence(tmp_path, monkeypatch, small_chunks, supervisor):
    store_six(tmp_path, monkeypatch, then="append while loading")
    decision = CancellationDecision.objects.get(crime_record__reference="NH/26/000000")
    audit = AuditFactory(name="Signed off 2026", force=decision.force)
    ReviewFactory(audit=audit, decision=decision)
    sign_off(audit, by=supervisor)
    before = snapshot()

    out, err, ok = import_file(tmp_path, an_append())

    assert not ok
    assert 'row 2, crime_reference: "NH/26/000000" is reviewed in the signed-off audit "Signed off 2026"' in err
    assert snapshot() == before


@postgresql_only
@pytest.mark.parametrize("set_wise", [True, False], ids=["set-wise", "by the triggers"])
def test_the_keys_of_the_rows_appended_are_checked(set_wise):
    names = bulk.table_names()
    keys = appending.ForeignKeys.of([names["record"], names["decision"]])
    if set_wise and not keys.set_wise:
        pytest.skip("the database role may not set session_replication_role")
    keys.set_wise = set_wise
    insert = (
        "INSERT INTO reviews_crimerecord (force_id, reference, offence_category, offence_code, recorded_on)"
        " VALUES (%s, 'NH/1', 'other', '', '2026-01-01') RETURNING id"
    )

    with transaction.atomic(), connection.cursor() as cursor:
        with keys.checked_set_wise(cursor):
            cursor.execute(insert, [10**9])
            (added,) = cursor.fetchone()
        with pytest.raises(IntegrityError, match="reviews_crimerecord_force_id"):
            keys.check(cursor, {names["record"]: (added, added)})
        transaction.set_rollback(True)


@postgresql_only
def test_only_the_keys_the_appending_statement_does_not_meet_by_construction_go_unchecked():
    """A decision appended takes its crime record's new id, force and recorded date from the same staged row, in
    the same statement: its key to the crime records holds. The keys to the forces are checked, and so is a key to
    the crime records on a column the statement does not write from the same value."""
    names = bulk.table_names()
    tables = [names["record"], names["decision"]]
    together = (names["decision"], names["record"], appending.WRITTEN_WITH_RECORD)

    every_key = appending.ForeignKeys.of(tables)
    keys = appending.ForeignKeys.of(tables, written_together=together)
    other = appending.ForeignKeys.of(tables, written_together=(*together[:2], {"crime_record_id": "id"}))

    def referred(keys):
        return sorted((key.table, key.referenced, tuple(key.columns)) for key in keys)

    unchecked = set(referred(every_key.checked)) - set(referred(keys.checked))
    assert unchecked == {
        ('"reviews_cancellationdecision"', "reviews_crimerecord", ("crime_record_id", "force_id", "recorded_on"))
    }
    assert {key.referenced for key in keys.checked} == {"forces_force"}
    assert referred(other.checked) == referred(every_key.checked)
