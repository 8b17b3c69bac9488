"""What the import pages read: the jobs a person may see, a job's status as its page and `status.json` show it,
and its row errors."""

import csv
import time
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone

from reviews.imports.tracking import live_progress, lost_job_fail
from reviews.models import ImportJob, ImportState
from reviews.permissions import may_administer_data

# A job queued longer than this with no worker taking it says so: the workers may not be running.
WAITING_NOTICE_SECONDS = 30
NO_WORKER = "No worker has taken this job yet. If it stays queued, check that the background workers are running."


def import_jobs_visible(user) -> QuerySet[ImportJob]:
    """Every import job, for data stewards (they share the work of loading files); none for anyone else."""
    if not may_administer_data(user):
        return ImportJob.objects.none()
    return ImportJob.objects.select_related("created_by")


def import_job_status(job: ImportJob) -> dict:
    """`job`'s state, progress and outcome, as its page and its `status.json` show them. A running job whose worker
    has died is marked failed on the way."""
    lost_job_fail(job)
    now = timezone.now()
    live = live_progress(job.token) if job.state == ImportState.RUNNING else {}
    phase = live.get("phase") or job.phase
    rows_total = live.get("rows_total", job.rows_total)
    rows_done = live.get("rows_done", job.rows_done) or 0
    elapsed = None
    if job.started_at:
        elapsed = ((job.finished_at or now) - job.started_at).total_seconds()
    following = job.imports.order_by("-created_at").first() if job.check_only else None
    passed = job.state == ImportState.DONE and job.error_count == 0 and bool(job.counts)
    message = job.message
    if job.state == ImportState.QUEUED and (now - job.created_at).total_seconds() > WAITING_NOTICE_SECONDS:
        message = NO_WORKER
    return {
        "id": job.pk,
        "kind": job.kind,
        "check_only": job.check_only,
        "file_name": job.file_name,
        "state": job.state,
        "phase": phase,
        "rows_total": rows_total,
        "rows_done": rows_done,
        "counts": job.counts or None,
        "error_count": job.error_count,
        "errors": job.errors,
        "notices": job.notices,
        "message": message,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "elapsed_seconds": round(elapsed, 1) if elapsed is not None else None,
        "estimate_seconds_left": _estimate(live) if job.state == ImportState.RUNNING else None,
        "finished": job.is_finished,
        "can_cancel": not job.is_finished,
        "can_import": (
            job.check_only and passed and following is None and bool(job.upload) and job.upload_deleted_at is None
        ),
        "import_id": following.pk if following else None,
    }


def _estimate(live: dict) -> float | None:
    """Seconds left in the current phase at the pace it has gone so far; None until it can be told."""
    total, done, started = live.get("rows_total"), live.get("rows_done") or 0, live.get("phase_started")
    if not total or not done or started is None:
        return None
    spent = time.time() - started
    return round(spent * (total - done) / done, 1)


def import_job_error_rows(job: ImportJob) -> Iterator[list[str]]:
    """Every row error of `job` (row, column, value, message), the header first: from its errors file, or from the
    errors it lists when it has no file."""
    if job.errors_file:
        with job.errors_file.open("rb") as stored:
            lines = (line.decode("utf-8") for line in stored)
            yield from csv.reader(lines)
        return
    yield ["row", "column", "value", "message"]
    for error in job.errors:
        yield [str(error["row"]), error["column"], error["value"], error["message"]]
