"""What the import engine tells whoever watches it (phases, records to check, rows checked), how a cancellation
undoes it, and how every row error, not only the listed ones, reaches a job that wants them all."""

import io
import threading

import pytest
from django.db import connection

from reviews.errors import ImportCancelled, ImportRefused
from reviews.exchange import bulk, decisions, reading
from reviews.exchange.decisions import decisions_import
from reviews.exchange.progress import CHECKING, READING, REBUILDING, WRITING, Progress
from reviews.exchange.reading import DECISION_FILE, ERROR_CAP, REVIEW_FILE, RowError, open_table
from reviews.exchange.reviews import reviews_import
from reviews.models import CancellationDecision, ReviewStatus
from tests.factories import AuditFactory, DecisionFactory, ReviewFactory, sign_off
from tests.reviews.exchange.importing import (
    LOADS,
    REVIEW_COLUMNS,
    csv_bytes,
    decision_row,
    review_row,
    snapshot,
    start_over,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

POSTGRESQL = connection.vendor == "postgresql"


class Watcher(Progress):
    """Progress that keeps every call, and cancels the import at `cancel_at`: (phase, "phase") when that phase
    starts, (phase, "advance") at its first advance."""

    wants_total = True

    def __init__(self, cancel_at: tuple[str, str] | None = None):
        self.calls: list[tuple] = []
        self.cancel_at = cancel_at
        self.current = None
        self.cancelled = False
        self.threads: set[str] = set()

    def phase(self, name, *, total=None):
        self.calls.append((name, total))
        self.current = name
        self._maybe_cancel("phase")

    def advance(self, done):
        self.calls.append(("advance", done))
        self._maybe_cancel("advance")

    def _maybe_cancel(self, call):
        self.threads.add(threading.current_thread().name)
        if (self.current, call) == self.cancel_at:
            self.cancelled = True
            raise ImportCancelled

    @property
    def phases(self) -> list[tuple[str, int | None]]:
        return [call for call in self.calls if call[0] != "advance"]

    def advances_in(self, phase: str) -> list[int]:
        current, done = None, []
        for name, value in self.calls:
            if name != "advance":
                current = name
            elif current == phase:
                done.append(value)
        return done


def stored_before(load: str) -> None:
    """`start_over(load)`, with the stored decision's own checks done, as they are once its transaction ends:
    only then may an import set the indexes aside."""
    start_over(load)
    connection.check_constraints()


@pytest.fixture
def small_chunks(monkeypatch):
    """Progress every two rows, as every 5,000 of a large file."""
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 2)
    monkeypatch.setattr(decisions, "SQLITE_BATCH_ROWS", 1)
    monkeypatch.setattr(decisions, "SQLITE_PROGRESS_ROWS", 2)


def a_file(count: int, **overrides) -> io.BytesIO:
    return io.BytesIO(
        csv_bytes([decision_row(crime_reference=f"NH/26/{number:06d}", **overrides) for number in range(count)])
    )


def stored_references() -> list[str]:
    return sorted(CancellationDecision.objects.values_list("crime_record__reference", flat=True))


# --- Phases and totals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("load", LOADS)
def test_an_import_reports_each_phase_the_records_to_check_and_the_rows_checked(small_chunks, settings, load):
    # A later load adding as many decisions as are stored builds the indexes again (PostgreSQL).
    settings.IMPORT_BULK_MIN_ROWS = 1
    stored_before(load)
    watcher = Watcher()

    report = decisions_import(file=a_file(11), progress=watcher)

    assert report.rows == 11
    if not POSTGRESQL:
        expected = [(READING, None), (CHECKING, 11), (WRITING, None)]
    elif load == "first load":
        # Each chunk is written as it is checked, then the indexes set aside are built again.
        expected = [(READING, None), (CHECKING, 11), (REBUILDING, None)]
    else:
        expected = [(READING, None), (CHECKING, 11), (WRITING, None), (REBUILDING, None)]
    assert watcher.phases == expected
    checked = watcher.advances_in(CHECKING)
    assert checked == sorted(checked), "rows checked only ever go up"
    assert len(checked) >= 5, "each chunk of two rows reported"
    assert checked[-1] == 11
    assert watcher.threads == {threading.current_thread().name}, "progress hears only from the import's thread"


@pytest.mark.parametrize("load", LOADS)
def test_an_import_nobody_watches_does_not_count_the_file_first(monkeypatch, load):
    """Counting the records is for a progress bar: the command line, which shows none, skips that pass."""
    stored_before(load)
    counted = []
    monkeypatch.setattr(reading, "csv_records_count", lambda *args, **kwargs: counted.append(args) or 0)

    report = decisions_import(file=a_file(3))
    assert report.rows == 3
    assert counted == []

    decisions_import(file=a_file(3), progress=Watcher())
    assert len(counted) == 1


def test_a_dry_run_reports_reading_and_checking_only(small_chunks):
    watcher = Watcher()

    decisions_import(file=a_file(3), progress=watcher, dry_run=True)

    assert watcher.phases == [(READING, None), (CHECKING, 3)]
    assert watcher.advances_in(CHECKING)[-1] == 3


def test_a_first_load_that_finds_a_broken_row_starts_again_from_reading(small_chunks):
    start_over("first load")
    rows = [decision_row(crime_reference=f"NH/26/{number:06d}") for number in range(4)]
    rows[3]["criterion"] = "C9"
    watcher = Watcher()

    with pytest.raises(ImportRefused):
        decisions_import(file=io.BytesIO(csv_bytes(rows)), progress=watcher)

    once = [(READING, None), (CHECKING, 4)]
    assert watcher.phases == (once * 2 if POSTGRESQL else once)
    assert watcher.calls[-1] == ("advance", 4)


def test_the_reviews_import_reports_its_phases(auditor):
    for number in range(1, 4):
        DecisionFactory(crime_record__reference=f"NH/26/{number:06d}")
    rows = [review_row(crime_reference=f"NH/26/{number:06d}") for number in range(1, 4)]
    watcher = Watcher()

    reviews_import(file=io.BytesIO(csv_bytes(rows, REVIEW_COLUMNS)), progress=watcher)

    assert watcher.phases == [(READING, None), (CHECKING, 3), (WRITING, None)]
    assert watcher.advances_in(CHECKING) == [3]


# --- Counting the records --------------------------------------------------------------------------------------

LINES = [decision_row(crime_reference=f"NH/{number}") for number in range(3)]


def csv_text(*lines: str, ending: str = "\n") -> bytes:
    return ending.join([",".join(DECISION_FILE.columns), *lines]).encode()


ROW = "northamptonshire,{reference},violence,8N,2026-01-10,2026-02-01,cancelled,C2,ddm,,{rationale}"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(csv_text(ROW.format(reference="A", rationale="plain"), ""), id="a final line break"),
        pytest.param(csv_text(*(ROW.format(reference=n, rationale="x") for n in "AB")), id="no final line break"),
        pytest.param(
            csv_text(*(ROW.format(reference=n, rationale="x") for n in "AB"), "", ending="\r\n"), id="Windows lines"
        ),
        pytest.param(
            csv_text(
                ROW.format(reference="A", rationale='5" of snow'),
                ROW.format(reference="B", rationale='"two\nlines, and ""a quote"""'),
                ROW.format(reference="C", rationale='"an empty line\n\nin a cell"'),
                "",
            ),
            id="line breaks and quotes in cells",
        ),
        pytest.param(
            csv_text(*(ROW.format(reference=n, rationale='a 5" knife') for n in "ABC")), id="a quote within a cell"
        ),
        pytest.param(
            csv_text(ROW.format(reference="A", rationale="x"), "", ",,,,,,,,,,", '"",""', "  ", ""),
            id="blank records",
        ),
        pytest.param(csv_text(ROW.format(reference="A", rationale='"x;\ny"')).replace(b",", b";"), id="semicolons"),
        pytest.param(xlsx_bytes(LINES), id="workbook"),
    ],
)
def test_the_records_to_check_are_counted_as_the_import_reads_them(content):
    table = open_table(io.BytesIO(content), spec=DECISION_FILE, count=True)

    assert table.total == sum(1 for _ in table.rows)
    assert table.total > 0


def test_records_are_counted_only_when_asked():
    assert open_table(a_file(2), spec=DECISION_FILE).total is None


# --- Cancelling ------------------------------------------------------------------------------------------------

CANCEL_POINTS = [
    (READING, "phase"),
    (CHECKING, "phase"),
    (CHECKING, "advance"),
    (WRITING, "phase"),
    (REBUILDING, "phase"),
]


def staging_tables() -> list[str]:
    """The decisions import's staging table, if one is left (SQLite keeps temporary tables for the connection)."""
    if POSTGRESQL:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_temp_master WHERE type = 'table'")
        return [name for (name,) in cursor.fetchall()]


def checking_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name == "decision-import-checks"]


@pytest.mark.parametrize("load", LOADS)
@pytest.mark.parametrize(("phase", "call"), CANCEL_POINTS, ids=[f"{phase} {call}" for phase, call in CANCEL_POINTS])
def test_a_cancelled_import_undoes_everything_and_the_next_one_works(small_chunks, settings, load, phase, call):
    settings.IMPORT_BULK_MIN_ROWS = 1
    stored_before(load)
    if phase == REBUILDING and not POSTGRESQL:
        pytest.skip("only PostgreSQL sets indexes aside")
    if phase == WRITING and POSTGRESQL and load == "first load":
        pytest.skip("a first load writes each chunk as it is checked")
    before = snapshot()
    watcher = Watcher(cancel_at=(phase, call))

    with pytest.raises(ImportCancelled, match="nothing was saved"):
        decisions_import(file=a_file(7), progress=watcher)

    assert watcher.cancelled
    assert snapshot() == before
    assert staging_tables() == []
    assert checking_threads() == []
    report = decisions_import(file=a_file(7))
    assert report.new == 7
    assert len(stored_references()) == len(before["decisions"]) + 7


@pytest.mark.parametrize(("phase", "call"), [(READING, "phase"), (CHECKING, "advance"), (WRITING, "phase")])
def test_a_cancelled_reviews_import_writes_nothing(auditor, phase, call):
    DecisionFactory(crime_record__reference="NH/26/000001")
    before = snapshot()

    with pytest.raises(ImportCancelled):
        reviews_import(
            file=io.BytesIO(csv_bytes([review_row()], REVIEW_COLUMNS)), progress=Watcher(cancel_at=(phase, call))
        )

    assert snapshot() == before
    assert reviews_import(file=io.BytesIO(csv_bytes([review_row()], REVIEW_COLUMNS))).new == 1


# --- Every error, and its value --------------------------------------------------------------------------------


@pytest.mark.parametrize("load", LOADS)
def test_every_row_error_reaches_the_job_not_only_the_listed_ones(load):
    start_over(load)
    handed: list[RowError] = []
    threads = set()

    def hand_over(error):
        threads.add(threading.current_thread().name)
        handed.append(error)

    with pytest.raises(ImportRefused) as refused:
        decisions_import(file=a_file(ERROR_CAP + 30, criterion="C9"), errors=hand_over)

    report = refused.value.report
    assert report.error_count == ERROR_CAP + 30
    assert len(report.errors) == ERROR_CAP
    assert [error.row for error in handed] == list(range(2, ERROR_CAP + 32)), "each once, in row order"
    assert {(error.column, error.value) for error in handed} == {("criterion", "C9")}
    assert threads == {threading.current_thread().name}, "handed over in the import's own thread"


def test_every_repeated_reference_reaches_the_job():
    handed: list[RowError] = []
    rows = [decision_row() for _ in range(ERROR_CAP + 6)]

    with pytest.raises(ImportRefused) as refused:
        decisions_import(file=io.BytesIO(csv_bytes(rows)), errors=handed.append)

    assert refused.value.report.error_count == ERROR_CAP + 5
    assert len(refused.value.report.errors) == ERROR_CAP
    assert len(handed) == ERROR_CAP + 5
    assert handed[-1] == RowError(
        ERROR_CAP + 7, "crime_reference", '"NH/26/000001" is already in row 2 for the same force', "NH/26/000001"
    )


def test_every_change_to_a_signed_off_decision_reaches_the_job_and_the_list_is_as_long_as_asked(supervisor):
    audit = AuditFactory(name="Signed off 2026")
    for number in range(3):
        ReviewFactory(audit=audit, decision__crime_record__reference=f"NH/26/{number:06d}")
    sign_off(audit, by=supervisor)
    rows = [decision_row(crime_reference=f"NH/26/{number:06d}", criterion="C4") for number in range(3)]
    rows.append(decision_row(crime_reference="NH/26/000009", criterion="C9"))
    handed: list[RowError] = []

    with pytest.raises(ImportRefused) as refused:
        decisions_import(file=io.BytesIO(csv_bytes(rows)), errors=handed.append, listed_errors=2)

    report = refused.value.report
    assert report.error_count == 4
    assert [error.row for error in report.errors] == [2, 3]
    assert report.error_lines()[-1] == "... and 2 more errors not listed."
    signed_off = [error for error in handed if "signed-off" in error.message]
    assert [(error.row, error.value) for error in signed_off] == [
        (2, "NH/26/000000"),
        (3, "NH/26/000001"),
        (4, "NH/26/000002"),
    ]
    assert len(handed) == 4


def test_without_anyone_wanting_them_the_errors_past_the_list_are_only_counted():
    rows = [decision_row() for _ in range(8)]

    with pytest.raises(ImportRefused) as refused:
        decisions_import(file=io.BytesIO(csv_bytes(rows)), listed_errors=3)

    assert refused.value.report.error_count == 7
    assert [error.row for error in refused.value.report.errors] == [3, 4, 5]


VALUES = [
    (decision_row(criterion="C9"), "criterion", "C9"),
    (decision_row(force="Hampshire Police"), "force", "Hampshire Police"),
    (decision_row(recorded_on="31/02/2026"), "recorded_on", "31/02/2026"),
    (decision_row(decided_on="2026-01-09"), "decided_on", "2026-01-09"),
    (decision_row(offence_code="abcdefghijkl"), "offence_code", "abcdefghijkl"),
    (decision_row(receiving_force="kent"), "receiving_force", "kent"),
    (decision_row(crime_reference=""), "crime_reference", ""),
    (decision_row(outcome="transferred", criterion="C2"), None, ""),
]


@pytest.mark.parametrize(("row", "column", "value"), VALUES, ids=[f"{column}" for _, column, _ in VALUES])
def test_a_row_error_carries_the_value_read(row, column, value):
    handed: list[RowError] = []

    with pytest.raises(ImportRefused):
        decisions_import(file=io.BytesIO(csv_bytes([row])), errors=handed.append)

    assert [(error.column, error.value) for error in handed] == [(column, value)]


def test_the_reviews_import_hands_over_every_error_with_its_value(auditor, supervisor):
    DecisionFactory(crime_record__reference="NH/26/000001")
    DecisionFactory(crime_record__reference="NH/26/000002")
    rows = [
        review_row(decision_correct="perhaps"),
        review_row(crime_reference="NH/26/404"),
        review_row(crime_reference="NH/26/000002", auditor="nobody"),
        review_row(),
        review_row(),
    ]
    handed: list[RowError] = []

    with pytest.raises(ImportRefused) as refused:
        reviews_import(file=io.BytesIO(csv_bytes(rows, REVIEW_COLUMNS)), errors=handed.append, listed_errors=1)

    assert refused.value.report.error_count == 4
    assert len(refused.value.report.errors) == 1
    assert [(error.row, error.column, error.value) for error in handed] == [
        (2, "decision_correct", "perhaps"),
        (3, "crime_reference", "NH/26/404"),
        (4, "auditor", "nobody"),
        (6, "crime_reference", "NH/26/000001"),
    ]


def test_a_signed_off_audit_named_in_a_reviews_file_carries_its_name(auditor, supervisor):
    decision = DecisionFactory(crime_record__reference="NH/26/000001")
    audit = AuditFactory(name="Imported audit 2026")
    ReviewFactory(audit=audit, decision=decision, status=ReviewStatus.TO_DO)
    sign_off(audit, by=supervisor)
    handed: list[RowError] = []

    with pytest.raises(ImportRefused):
        reviews_import(file=io.BytesIO(csv_bytes([review_row()], REVIEW_COLUMNS)), errors=handed.append)

    assert [(error.column, error.value) for error in handed] == [("audit", "Imported audit 2026")]


def test_review_file_records_are_counted_too():
    table = open_table(
        io.BytesIO(csv_bytes([review_row(), review_row()], REVIEW_COLUMNS)), spec=REVIEW_FILE, count=True
    )

    assert table.total == 2
