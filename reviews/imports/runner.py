"""The body of an import job, as a worker runs it: claim the job, run the import engine on its stored file in one
transaction, and store what came of it.

Only a queued job is run, and only by the worker that moves it to "running" (one conditional update), so a job
queued twice, or a second worker, never runs it again. Every import and check runs in a transaction of its own,
one at a time (a PostgreSQL advisory lock; SQLite's single writer): a second waits for the first instead of
colliding with it. A job stopped in the middle (cancelled, killed with its worker, refused by the database) has
its transaction rolled back, so nothing is ever half-written.
"""

import csv
import logging
import tempfile

from django.core.files import File
from django.db import DatabaseError
from django.db.models import F
from django.utils import timezone

from accounts.models import AccessAction
from accounts.services import access_record
from reviews.errors import ImportCancelled, ImportFileError, ImportRefused
from reviews.exchange.decisions import decisions_import
from reviews.exchange.progress import READING
from reviews.exchange.reading import ImportReport, RowError
from reviews.exchange.reviews import reviews_import
from reviews.exchange.serial import one_import_at_a_time
from reviews.imports.tracking import JobProgress, cancel_asked, forget
from reviews.models import ImportJob, ImportKind, ImportState

logger = logging.getLogger(__name__)

# The first row errors a job lists (on its page and in its status); every one of them goes to its errors file.
LISTED_ERRORS = 1_000
ERROR_COLUMNS = ["row", "column", "value", "message"]
# Up to this many row errors are put in row order for their download (the sort holds them all in memory).
SORTED_ERRORS = 200_000
FILE_GONE = "The uploaded file has been deleted since it was uploaded: nothing was saved. Upload it again."
UNEXPECTED = (
    "The import stopped on an unexpected error, and nothing was saved. Try again; if it happens again, tell the "
    "service's administrators the time it happened."
)


def import_job_run(*, job_id: int) -> str:
    """Run the queued import job `job_id` and return the state it ends in; a job that is not queued (another
    worker has it, it was cancelled or it has finished) is left alone, and its state returned."""
    claimed = ImportJob.objects.filter(pk=job_id, state=ImportState.QUEUED).update(
        state=ImportState.RUNNING, phase=READING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return ImportJob.objects.filter(pk=job_id).values_list("state", flat=True).first() or ""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    with JobProgress(job.token) as progress, _ErrorFile() as errors:
        report, state, message = None, ImportState.DONE, ""
        try:
            report = _import(job, progress=progress, errors=errors.add)
        except ImportRefused as refused:
            report = refused.report
        except ImportCancelled as cancelled:
            state, message = ImportState.CANCELLED, str(cancelled)
        except ImportFileError as error:
            state, message = ImportState.FAILED, f"{job.file_name}: {error}"
        except FileNotFoundError:
            # Tidied away (`import_uploads_tidy`) after the job was queued.
            state, message = ImportState.FAILED, FILE_GONE
        except DatabaseError as error:
            # Only a change made by someone else during the import gets here: every rule was checked first.
            state, message = ImportState.FAILED, f"The database refused the import, and nothing was saved: {error}"
        except Exception:
            logger.exception("Import job %s stopped on an unexpected error", job.pk)
            state, message = ImportState.FAILED, UNEXPECTED
        _finish(job, state=state, report=report, message=message, progress=progress, errors=errors)
    return state


def _import(job: ImportJob, *, progress: JobProgress, errors) -> ImportReport:
    """The engine on the job's stored file, in a transaction of its own, one import at a time."""
    if cancel_asked(job.token):
        raise ImportCancelled()
    with one_import_at_a_time(writes=not job.check_only), job.upload.open("rb") as file:
        report = _engine(job, file, progress=progress, errors=errors)
        if not job.check_only:
            _saved(job, report, progress)
        return report


def _engine(job: ImportJob, file, *, progress, errors) -> ImportReport:
    if job.kind == ImportKind.DECISIONS:
        return decisions_import(
            file=file, dry_run=job.check_only, progress=progress, errors=errors, listed_errors=LISTED_ERRORS
        )
    return reviews_import(
        file=file,
        dry_run=job.check_only,
        by=job.created_by,
        reopen_approved=job.reopen_approved,
        progress=progress,
        errors=errors,
        listed_errors=LISTED_ERRORS,
    )


def _finish(job: ImportJob, *, state, report: ImportReport | None, message: str, progress, errors) -> None:
    """Store what came of the job (a real import that saved its file has stored it already, with its access record,
    in the import's own transaction: this writes the same again)."""
    fields = _outcome(state=state, report=report, message=message, progress=progress)
    if errors.count:
        job.errors_file.save(f"imports/{job.created_at:%Y/%m/%d}/{job.token}.errors.csv", errors.file(), save=False)
        fields["errors_file"] = job.errors_file.name
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    forget(job.token)


def _saved(job: ImportJob, report: ImportReport, progress) -> None:
    """A real import's outcome and its access record, written in the import's transaction just before it commits:
    whatever stops the worker afterwards, the job never reads as failed (or unrecorded) once its rows are in."""
    fields = _outcome(state=ImportState.DONE, report=report, message="", progress=progress)
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    access_record(
        user=job.created_by,
        action=AccessAction.IMPORTED,
        target=job,
        object_type=job.kind,
        object_label=job.file_name,
        details={
            "file_name": job.file_name,
            "file_size": job.file_size,
            "file_sha256": job.file_sha256,
            "format": job.kind,
            "row_count": report.rows,
            "counts": fields["counts"],
            "via": job.via,
            "import_job": job.pk,
        },
    )


def _outcome(*, state, report: ImportReport | None, message: str, progress) -> dict:
    fields = {
        "state": state,
        "phase": "",
        "finished_at": timezone.now(),
        "rows_done": progress.state.get("rows_done", 0),
        "rows_total": progress.state.get("rows_total"),
        "message": message,
    }
    if state == ImportState.CANCELLED:
        fields["cancel_requested_at"] = fields["finished_at"]
    if report is not None:
        fields.update(
            rows_total=report.rows,
            rows_done=report.rows,
            counts={"new": report.new, "updated": report.updated, "unchanged": report.unchanged} if report.ok else {},
            error_count=report.error_count,
            errors=[_error_json(error) for error in report.errors],
            notices=list(report.notices),
            message=report.summary(),
        )
    return fields


def _error_json(error: RowError) -> dict:
    return {"row": error.row, "column": error.column or "", "value": error.value, "message": error.message}


class _ErrorFile:
    """Every row error of a job, written to a temporary CSV file as the import finds them."""

    def __init__(self):
        self.count = 0
        self._file = None

    def __enter__(self) -> "_ErrorFile":
        return self

    def __exit__(self, *exc_info) -> None:
        if self._file is not None:
            self._file.close()

    def add(self, error: RowError) -> None:
        if self._file is None:
            # Closed (and so deleted) when the job leaves this context.
            self._file = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")  # noqa: SIM115
            self._writer = csv.writer(self._file)
            self._writer.writerow(ERROR_COLUMNS)
        self.count += 1
        self._writer.writerow([error.row, error.column or "", error.value, error.message])

    def file(self) -> File:
        """The errors as a CSV file, in row order (each row's errors in the order of its columns) unless there are
        more than `SORTED_ERRORS`: then in the order the import found them, each rule's in row order."""
        self._file.flush()
        self._file.seek(0)
        if self.count <= SORTED_ERRORS:
            reader = csv.reader(self._file)
            header = next(reader)
            ordered = sorted(reader, key=lambda line: int(line[0]))
            self._file.seek(0)
            self._file.truncate()
            writer = csv.writer(self._file)
            writer.writerow(header)
            writer.writerows(ordered)
            self._file.flush()
            self._file.seek(0)
        return File(self._file)
