"""Import jobs run by real worker processes (`manage.py jobs_worker`) on a committed database: a worker killed in
the middle of an import, a running import cancelled, two imports queued at once and one job queued twice. The
same job body run in this process is tested in test_jobs.py.

PostgreSQL only: the workers are other processes, and SQLite's test database lives in this process's memory."""

from pathlib import Path

import pytest
from django.core.files import File
from django.db import connection
from django_tasks_db.models import DBTaskResult

from accounts.models import AccessAction, AccessRecord
from bench.national import SEED, write_national_extract
from reviews.errors import IMPORT_CANCELLED_MESSAGE
from reviews.exchange import progress as phases
from reviews.imports.selectors import import_job_status
from reviews.imports.services import import_job_cancel, import_job_create
from reviews.imports.tasks import run_import_job
from reviews.imports.tracking import WORKER_LOST, live_progress
from reviews.models import CancellationDecision, ImportJob, ImportKind, ImportState
from tests.factories import DecisionFactory
from tests.reviews.imports.processes import database_url, service_environment, start_worker, wait_until

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the workers are other processes: they need the tests' database on a server",
    ),
    pytest.mark.django_db(transaction=True),
]

# Big enough for an import to be caught in the middle of its work on PostgreSQL (some seconds).
LARGE_ROWS = 200_000
SMALL_ROWS = 20_000
STALE_SECONDS = 3


@pytest.fixture(scope="module")
def extracts(tmp_path_factory) -> dict[str, Path]:
    """Decisions files: a large one, and a small one with no crime reference in common with it."""
    folder = tmp_path_factory.mktemp("extracts")
    return {
        "large": write_national_extract(folder / "large.csv", rows=LARGE_ROWS),
        "second": write_national_extract(
            folder / "second.csv", rows=SMALL_ROWS, seed=SEED + 1, first_number=LARGE_ROWS
        ),
    }


@pytest.fixture
def worker_environment(settings, tmp_path) -> dict[str, str]:
    """The workers' settings, and this process's, sharing the database, the stored uploads and the jobs' progress."""
    if settings.REDIS_URL:
        pytest.skip("the workers here use the database queue")
    progress = tmp_path / "progress"
    settings.CACHES = {
        **settings.CACHES,
        "jobs": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(progress)},
    }
    settings.IMPORT_JOB_STALE_SECONDS = STALE_SECONDS
    settings.IMPORT_JOB_HEARTBEAT_SECONDS = 0.5
    return service_environment(
        DATABASE_URL=database_url(connection.settings_dict),
        DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        DJANGO_JOB_PROGRESS_DIR=str(progress),
        DJANGO_IMPORT_JOB_STALE_SECONDS=str(STALE_SECONDS),
        DJANGO_IMPORT_JOB_HEARTBEAT_SECONDS="0.5",
    )


@pytest.fixture
def workers(worker_environment, tmp_path):
    """`workers(n)` starts n workers; every one still running is stopped after the test."""
    started = []

    def start(count: int = 1):
        for _ in range(count):
            started.append(start_worker(f"worker-{len(started) + 1}", environment=worker_environment, logs=tmp_path))
        return started[-count:]

    yield start
    for worker in started:
        if worker.running():
            worker.stop()


def queued_import(path: Path, *, by) -> ImportJob:
    with path.open("rb") as file:
        return import_job_create(upload=File(file, name=path.name), kind=ImportKind.DECISIONS, check_only=False, by=by)


def stored() -> dict:
    """What an import could change in the tables, the indexes it sets aside and builds again included."""
    from tests.reviews.exchange.importing import snapshot

    return snapshot()


def finished(job: ImportJob) -> ImportJob | None:
    job.refresh_from_db()
    return job if job.is_finished else None


def in_the_middle(job: ImportJob) -> dict | None:
    """The job's progress once it is under way: writing, or some rows into checking."""
    progress = live_progress(job.token)
    if progress.get("phase") in (phases.WRITING, phases.REBUILDING):
        return progress
    if progress.get("phase") == phases.CHECKING and progress.get("rows_done"):
        return progress
    job.refresh_from_db()
    assert not job.is_finished, f"the import ended ({job.state}: {job.message}) before it could be interrupted"
    return None


def test_a_worker_killed_in_the_middle_of_an_import_leaves_the_tables_as_they_were(workers, extracts, data_steward):
    before = stored()
    job = queued_import(extracts["large"], by=data_steward)
    (worker,) = workers(1)

    wait_until(lambda: in_the_middle(job), within=120, what="the import to be under way", processes=[worker])
    worker.kill()

    # Its transaction died with its connection: nothing of the file is stored, no index is missing.
    assert stored() == before
    # Once its heartbeat is stale, the job's status says what happened.
    status = wait_until(
        lambda: (status := import_job_status(finished(job) or job))["finished"] and status,
        within=STALE_SECONDS * 10,
        what="the job to be marked failed",
    )
    assert status["state"] == ImportState.FAILED
    assert status["message"] == WORKER_LOST
    assert not AccessRecord.objects.filter(action=AccessAction.IMPORTED).exists()


def test_a_running_import_cancelled_undoes_everything(workers, extracts, data_steward):
    DecisionFactory()
    before = stored()
    job = queued_import(extracts["large"], by=data_steward)
    (worker,) = workers(1)

    wait_until(lambda: in_the_middle(job), within=120, what="the import to be under way", processes=[worker])
    import_job_cancel(job=job, by=data_steward)

    wait_until(lambda: finished(job), within=120, what="the import to stop", processes=[worker])
    assert job.state == ImportState.CANCELLED
    assert job.message == IMPORT_CANCELLED_MESSAGE
    assert stored() == before
    assert worker.running()  # and ready for the next job


def test_two_imports_queued_together_into_the_same_tables_both_succeed(workers, extracts, data_steward):
    started = workers(2)
    for worker in started:
        wait_until(lambda worker=worker: "Starting worker" in worker.log(), within=60, what=f"{worker.name} to start")
    # The first is the large file, so that it is still running when the second is queued: a small one can finish
    # before the second is queued, and its worker take that one too.
    first = queued_import(extracts["large"], by=data_steward)
    second = queued_import(extracts["second"], by=data_steward)

    for job in (first, second):
        wait_until(lambda job=job: finished(job), within=180, what=f"{job} to finish", processes=started)

    assert [job.state for job in (first, second)] == [ImportState.DONE, ImportState.DONE], [
        first.message,
        second.message,
    ]
    assert first.counts == {"new": LARGE_ROWS, "updated": 0, "unchanged": 0}
    assert second.counts == {"new": SMALL_ROWS, "updated": 0, "unchanged": 0}
    assert CancellationDecision.objects.count() == LARGE_ROWS + SMALL_ROWS
    assert AccessRecord.objects.filter(action=AccessAction.IMPORTED).count() == 2
    # Each worker took one: the second waited for the first to commit, rather than writing beside it.
    assert len({worker for task in DBTaskResult.objects.all() for worker in task.worker_ids}) == 2


def test_a_job_queued_twice_runs_once_though_a_second_worker_takes_it_up(workers, extracts, data_steward):
    started = workers(2)
    for worker in started:
        wait_until(lambda worker=worker: "Starting worker" in worker.log(), within=60, what=f"{worker.name} to start")
    # The large file: the job is still running when the second worker takes up its second task.
    job = queued_import(extracts["large"], by=data_steward)
    run_import_job.enqueue(job.pk)  # queued again, as a retry or a duplicate delivery would

    wait_until(lambda: finished(job), within=180, what="the import to finish", processes=started)
    tasks = wait_until(
        lambda: (tasks := list(DBTaskResult.objects.all())) and all(task.finished_at for task in tasks) and tasks,
        within=60,
        what="both queued tasks to be taken up",
    )

    assert job.state == ImportState.DONE
    assert job.attempts == 1
    assert CancellationDecision.objects.count() == LARGE_ROWS
    assert AccessRecord.objects.filter(action=AccessAction.IMPORTED).count() == 1
    # Each worker took one of the two; one imported the file, the other found the job running and left it alone.
    assert len(tasks) == 2
    assert len({worker for task in tasks for worker in task.worker_ids}) == 2
    assert sorted(task.return_value for task in tasks) == ["done", "running"]
