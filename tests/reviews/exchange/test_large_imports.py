"""How `import_decisions` writes a large file on PostgreSQL, and that every way of writing it ends in the same rows.

A first load (the tables hold no crime record) is copied straight into the tables, with their secondary indexes
and foreign keys set aside and built again at the end; a later load that adds as many decisions as are stored
builds them again once after its writes; anything else is written row by row. Whichever way, the rows, the
rules and the messages are the same, and nothing is kept of a file that breaks one."""

import threading

import psycopg2
import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from reviews.exchange import bulk, decisions
from reviews.models import CancellationDecision
from tests.factories import DecisionFactory, force
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


def test_a_first_load_stores_what_a_later_load_stores(tmp_path, small_chunks, first_loads):
    rows = a_file(20)

    out, err, ok = import_file(tmp_path, rows)

    assert ok, err
    assert "Imported 20 decisions: 20 new, 0 updated, 0 unchanged." in out
    first = stored_values()
    assert len(first) == 20
    assert any(row[1] == "K\\3" for row in first)
    assert any(row[-1] == ODD_TEXT for row in first)
    start_over("later load")

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
    for size in (11, 20, 30):
        start_over(load)
        with CaptureQueriesContext(connection) as queries:
            assert import_file(tmp_path, a_file(size))[2]
        counts[size] = len(queries)

    assert counts[11] == counts[20], "two chunks each"
    # One COPY (or batched insert) per chunk into the staging table; on a first load, one into each table.
    assert counts[30] - counts[20] == (2 if load == "first load" and connection.vendor == "postgresql" else 1)
