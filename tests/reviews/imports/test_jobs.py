"""Import jobs: a stored upload, checked or imported by the worker's run of it, with its outcome, row errors,
cancellation and the notice of a worker that died. The web pages are tested beside this; real worker processes
in test_faults.py."""

import csv
import io
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import AccessAction, AccessRecord
from reviews.errors import ImportFileError, ImportJobRefused
from reviews.exchange import progress as phases
from reviews.imports import tracking
from reviews.imports.runner import import_job_run
from reviews.imports.selectors import import_job_error_rows, import_job_status
from reviews.imports.services import import_job_cancel, import_job_confirm, import_job_create
from reviews.models import CancellationDecision, ImportJob, ImportKind, ImportState
from tests.factories import DecisionFactory, force
from tests.reviews.exchange.importing import csv_bytes, decision_row, snapshot

pytestmark = pytest.mark.django_db


def rows(count: int, **overrides) -> list[dict]:
    return [decision_row(crime_reference=f"NH/26/{number:06d}", **overrides) for number in range(1, count + 1)]


def upload(data: bytes, name: str = "extract.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def queued(by, data: bytes, *, check_only: bool = True, kind: str = ImportKind.DECISIONS) -> ImportJob:
    return import_job_create(upload=upload(data), kind=kind, check_only=check_only, by=by)


def test_an_upload_is_stored_with_its_digest_and_queued_once_committed(
    data_steward, django_capture_on_commit_callbacks
):
    data = csv_bytes(rows(3))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = queued(data_steward, data)
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.state == ImportState.QUEUED
    assert job.task_id
    assert job.file_name == "extract.csv"
    assert job.file_size == len(data)
    with job.upload.open("rb") as stored:
        assert stored.read() == data
    assert len(job.file_sha256) == 64
    assert job.file_name not in job.upload.name


def test_an_empty_or_oversized_upload_is_refused_before_anything_is_stored(data_steward, settings):
    settings.IMPORT_MAX_FILE_SIZE = 100
    with pytest.raises(ImportFileError, match="The file is empty."):
        queued(data_steward, b"")
    with pytest.raises(ImportFileError, match="the largest file accepted is"):
        queued(data_steward, csv_bytes(rows(5)))
    assert not ImportJob.objects.exists()


def test_a_check_counts_and_saves_nothing_then_import_now_saves_it_once(data_steward):
    check = queued(data_steward, csv_bytes(rows(3)))
    assert import_job_run(job_id=check.pk) == ImportState.DONE
    check.refresh_from_db()
    assert check.counts == {"new": 3, "updated": 0, "unchanged": 0}
    assert check.error_count == 0
    assert not CancellationDecision.objects.exists()
    status = import_job_status(check)
    assert status["can_import"]
    assert status["import_id"] is None
    assert status["finished"]
    assert status["rows_total"] == status["rows_done"] == 3

    follow = import_job_confirm(job=check, by=data_steward)
    assert follow.checked_by == check
    assert not follow.check_only
    assert follow.upload.name == check.upload.name
    with pytest.raises(ImportJobRefused, match="already being imported"):
        import_job_confirm(job=check, by=data_steward)
    assert import_job_run(job_id=follow.pk) == ImportState.DONE
    assert CancellationDecision.objects.count() == 3
    status = import_job_status(check)
    assert not status["can_import"]
    assert status["import_id"] == follow.pk

    # Queued twice, or picked up by a second worker: it has run, and does not run again.
    assert import_job_run(job_id=follow.pk) == ImportState.DONE
    records = AccessRecord.objects.filter(action=AccessAction.IMPORTED)
    assert records.count() == 1
    assert records.get().details["counts"] == {"new": 3, "updated": 0, "unchanged": 0}


def test_a_check_with_row_errors_lists_them_all_and_cannot_be_imported(data_steward):
    bad = rows(150, criterion="C9")
    job = queued(data_steward, csv_bytes(bad))
    assert import_job_run(job_id=job.pk) == ImportState.DONE
    job.refresh_from_db()
    assert job.error_count == 150
    assert len(job.errors) == 150
    assert job.errors[0] == {
        "row": 2,
        "column": "criterion",
        "value": "C9",
        "message": job.errors[0]["message"],
    }
    assert "C9" in job.errors[0]["message"]
    assert job.message == "Nothing was imported: the file has 150 errors."
    every = list(import_job_error_rows(job))
    assert every[0] == ["row", "column", "value", "message"]
    assert len(every) == 151
    assert not import_job_status(job)["can_import"]
    with pytest.raises(ImportJobRefused, match="found no errors"):
        import_job_confirm(job=job, by=data_steward)


def test_a_file_that_cannot_be_read_fails_with_the_reason(data_steward):
    job = queued(data_steward, b"force,crime_reference\nkent,K1\n", check_only=False)
    assert import_job_run(job_id=job.pk) == ImportState.FAILED
    job.refresh_from_db()
    assert job.message.startswith("extract.csv: ")
    assert "offence_category" in job.message


def test_a_queued_job_cancelled_never_runs(data_steward):
    job = queued(data_steward, csv_bytes(rows(2)), check_only=False)
    import_job_cancel(job=job, by=data_steward)
    assert import_job_run(job_id=job.pk) == ImportState.CANCELLED
    assert not CancellationDecision.objects.exists()
    with pytest.raises(ImportJobRefused, match="already finished"):
        import_job_cancel(job=job, by=data_steward)


@pytest.mark.parametrize("phase", [phases.CHECKING, phases.WRITING])
def test_a_running_import_cancelled_undoes_everything(data_steward, monkeypatch, phase):
    # A decision already stored: a later load, which has a writing phase on every database.
    DecisionFactory(crime_record__reference="stored", crime_record__force=force("hampshire"))
    before = snapshot()
    job = queued(data_steward, csv_bytes(rows(20)), check_only=False)
    original = tracking.JobProgress.phase

    def cancel_when(self, name, *, total=None):
        if name == phase:
            import_job_cancel(job=job, by=data_steward)
        original(self, name, total=total)

    monkeypatch.setattr(tracking.JobProgress, "phase", cancel_when)
    assert import_job_run(job_id=job.pk) == ImportState.CANCELLED
    job.refresh_from_db()
    assert job.message == "The import was cancelled: nothing was saved."
    assert job.cancel_requested_at is not None
    assert snapshot() == before


def test_a_job_claimed_moments_ago_is_not_taken_for_lost(data_steward):
    job = queued(data_steward, csv_bytes(rows(2)), check_only=False)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.RUNNING, started_at=timezone.now())
    job.refresh_from_db()

    assert import_job_status(job)["state"] == ImportState.RUNNING


def test_a_heartbeat_that_fails_once_beats_again(data_steward, settings, monkeypatch):
    settings.IMPORT_JOB_HEARTBEAT_SECONDS = 0.01
    beats = []

    def flaky(token):
        beats.append(token)
        if len(beats) == 1:
            raise ConnectionError("the cache did not answer")

    with tracking.JobProgress("a" * 32):
        monkeypatch.setattr(tracking, "_alive", flaky)
        deadline = time.monotonic() + 5
        while len(beats) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)

    assert len(beats) >= 3


def test_a_running_job_whose_worker_died_is_marked_failed(data_steward, settings):
    settings.IMPORT_JOB_STALE_SECONDS = 5
    job = queued(data_steward, csv_bytes(rows(2)), check_only=False)
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportState.RUNNING, started_at=timezone.now() - timedelta(seconds=60)
    )
    job.refresh_from_db()
    tracking._alive(job.token)
    assert import_job_status(job)["state"] == ImportState.RUNNING

    # The heartbeat lasts IMPORT_JOB_STALE_SECONDS: gone, the worker has been silent that long.
    tracking._cache().delete(tracking._key(job.token, "alive"))
    status = import_job_status(job)
    assert status["state"] == ImportState.FAILED
    assert "Nothing was saved" in status["message"]
    job.refresh_from_db()
    assert job.state == ImportState.FAILED
    assert job.finished_at is not None


def test_the_errors_download_reads_back_what_the_job_found(data_steward):
    job = queued(data_steward, csv_bytes(rows(2, recorded_on="2026-13-01")))
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    lines = list(csv.reader(io.StringIO("\n".join(",".join(row) for row in import_job_error_rows(job)))))
    assert [line[:3] for line in lines[1:]] == [["2", "recorded_on", "2026-13-01"], ["3", "recorded_on", "2026-13-01"]]


def test_the_errors_download_is_in_row_order_whichever_rule_found_them(data_steward):
    # The bad criterion is found as its row is read; the repeated reference afterwards, over the whole file.
    rows_ = [decision_row(), decision_row(), decision_row(crime_reference="NH/26/000009", criterion="C9")]
    job = queued(data_steward, csv_bytes(rows_))
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    lines = list(import_job_error_rows(job))
    assert [(line[0], line[1]) for line in lines[1:]] == [("3", "crime_reference"), ("4", "criterion")]


def test_cancelling_a_running_job_only_tells_it_and_writes_nothing(data_steward):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    job = queued(data_steward, csv_bytes(rows(2)), check_only=False)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.RUNNING, started_at=timezone.now())

    # The running import holds its transaction (on SQLite, the write lock): asking it to stop must not wait for it.
    with CaptureQueriesContext(connection) as queries:
        import_job_cancel(job=job, by=data_steward)

    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["SELECT"]
    assert tracking.cancel_asked(job.token)


def test_a_queue_that_does_not_answer_fails_the_job_with_a_message(
    data_steward, monkeypatch, django_capture_on_commit_callbacks
):
    from reviews.imports import services
    from reviews.imports.services import COULD_NOT_QUEUE

    class Unanswered:
        def enqueue(self, *args, **kwargs):
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(services, "run_import_job", Unanswered())
    with django_capture_on_commit_callbacks(execute=True):
        job = queued(data_steward, csv_bytes(rows(2)))

    job.refresh_from_db()
    assert job.state == ImportState.FAILED
    assert job.message == COULD_NOT_QUEUE


def test_an_import_is_done_and_recorded_once_its_rows_are_in_whatever_stops_the_worker_after(data_steward, monkeypatch):
    from reviews.imports import runner

    def stopped(*args, **kwargs):
        raise SystemExit("the worker was told to stop")

    job = queued(data_steward, csv_bytes(rows(2)), check_only=False)
    monkeypatch.setattr(runner, "_finish", stopped)
    with pytest.raises(SystemExit):
        import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.state == ImportState.DONE
    assert job.counts == {"new": 2, "updated": 0, "unchanged": 0}
    assert CancellationDecision.objects.count() == 2
    assert AccessRecord.objects.filter(action=AccessAction.IMPORTED).count() == 1
    assert not tracking.lost_job_fail(job)


def test_a_file_tidied_away_before_its_job_ran_fails_with_the_reason(data_steward):
    from reviews.imports.runner import FILE_GONE

    job = queued(data_steward, csv_bytes(rows(2)), check_only=False)
    job.upload.storage.delete(job.upload.name)

    assert import_job_run(job_id=job.pk) == ImportState.FAILED
    job.refresh_from_db()
    assert job.message == FILE_GONE
