"""Starting, following up and stopping import jobs. The work itself is done by a worker (`runner`)."""

import contextlib
import hashlib
import logging
from datetime import timedelta
from pathlib import PurePath

from django.db import OperationalError, transaction
from django.utils import timezone

from reviews.errors import ImportJobRefused
from reviews.exchange.reading import size_check
from reviews.imports.tasks import run_import_job
from reviews.imports.tracking import cancel_ask
from reviews.models import IMPORT_FINISHED_STATES, ImportJob, ImportKind, ImportState, ImportVia

logger = logging.getLogger(__name__)

NOT_PASSED = "Only a check that found no errors can be imported. Correct the file and upload it again."
FILE_GONE = "The uploaded file has been deleted since it was checked. Upload it again."
ALREADY_IMPORTED = "This file is already being imported, or has been: nothing was changed."
ALREADY_FINISHED = "This job has already finished: nothing was changed."


def upload_sha256(upload) -> str:
    """The SHA-256 of an uploaded file, read in chunks; the file is left at its start."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def import_job_create(
    *,
    upload,
    kind: str,
    check_only: bool,
    reopen_approved: bool = False,
    by,
    via: str = ImportVia.UPLOAD_PAGE,
    sha256: str | None = None,
) -> ImportJob:
    """Store the uploaded file and queue a job that checks it (`check_only`) or imports it, for `by`.

    Raises `ImportFileError` for a file that is empty or over the size limit, before anything is stored.
    `reopen_approved` applies to reviews files only (see `reviews_import`); `via` names the page the file came
    through, for the access record of the import; `sha256`, the file's digest when the caller has read it already
    (`upload_sha256`)."""
    size_check(upload.size)
    job = ImportJob(
        kind=kind,
        check_only=check_only,
        reopen_approved=reopen_approved and kind == ImportKind.REVIEWS,
        file_name=PurePath(upload.name or "upload").name[:255],
        file_size=upload.size,
        file_sha256=sha256 or upload_sha256(upload),
        created_by=by,
        via=via,
    )
    with transaction.atomic():
        job.upload.save("upload", upload, save=False)
        job.save()
        _queue(job)
    return job


def import_job_confirm(*, job: ImportJob, by) -> ImportJob:
    """ "Import now": queue the import of the file a check found no errors in, as a new job that follows the check.
    Raises `ImportJobRefused` when the check did not pass, its file has gone, or it has an import already."""
    with transaction.atomic():
        # Two clicks on "Import now" queue one import: the second waits here, then finds the first.
        check = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not (check.check_only and check.state == ImportState.DONE and check.error_count == 0 and check.counts):
            raise ImportJobRefused(NOT_PASSED)
        if not check.upload or check.upload_deleted_at is not None:
            raise ImportJobRefused(FILE_GONE)
        if check.imports.exclude(state__in=[ImportState.FAILED, ImportState.CANCELLED]).exists():
            raise ImportJobRefused(ALREADY_IMPORTED)
        follow = ImportJob.objects.create(
            kind=check.kind,
            check_only=False,
            reopen_approved=check.reopen_approved,
            upload=check.upload.name,
            file_name=check.file_name,
            file_size=check.file_size,
            file_sha256=check.file_sha256,
            checked_by=check,
            created_by=by,
            via=check.via,
        )
        _queue(follow)
    return follow


def import_job_cancel(*, job: ImportJob, by) -> None:
    """Stop `job`: a queued one at once; a running one is asked to stop, and undoes everything it did.
    Raises `ImportJobRefused` when it has already finished.

    A running job is only told, through the jobs cache: it holds its transaction open (on the embedded database,
    the write lock), so nothing here waits to write. Should the database be too busy to mark a queued job, it is
    told the same way, and stops as it starts."""
    state = ImportJob.objects.filter(pk=job.pk).values_list("state", flat=True).first()
    if state in IMPORT_FINISHED_STATES:
        raise ImportJobRefused(ALREADY_FINISHED)
    cancel_ask(job.token)
    if state == ImportState.QUEUED:
        now = timezone.now()
        with contextlib.suppress(OperationalError):
            ImportJob.objects.filter(pk=job.pk, state=ImportState.QUEUED).update(
                state=ImportState.CANCELLED,
                cancel_requested_at=now,
                finished_at=now,
                message="Cancelled before it started.",
            )


COULD_NOT_QUEUE = (
    "The job could not be queued: the queue did not answer. Nothing was checked or saved. Upload the file again in a "
    "moment; if it happens again, tell the service's administrators."
)


def _queue(job: ImportJob) -> None:
    """Queue the job once the transaction that stored it has committed (a worker must find it). A queue that does
    not answer fails the job with a message, rather than the page that uploaded it."""

    def enqueue() -> None:
        try:
            result = run_import_job.enqueue(job.pk)
        except Exception:
            logger.exception("Import job %s could not be queued", job.pk)
            ImportJob.objects.filter(pk=job.pk, state=ImportState.QUEUED).update(
                state=ImportState.FAILED, finished_at=timezone.now(), message=COULD_NOT_QUEUE
            )
            return
        ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])

    transaction.on_commit(enqueue)


def import_uploads_tidy(*, older_than: timedelta) -> int:
    """Delete the stored files (the upload and its list of row errors) of the import jobs that finished and were
    uploaded more than `older_than` ago, and mark them deleted; returns how many jobs lost their files.

    A job waiting or running keeps its file, and so does every job sharing it (an import follows its check on the
    same stored file): a file is deleted only when every job that uses it has finished. The jobs themselves, with
    their counts and first errors, stay as the record of what was imported.
    """
    cutoff = timezone.now() - older_than
    in_use = set(ImportJob.objects.unfinished().exclude(upload="").values_list("upload", flat=True))
    jobs = list(
        ImportJob.objects.filter(
            created_at__lt=cutoff, state__in=IMPORT_FINISHED_STATES, upload_deleted_at__isnull=True
        ).exclude(upload__in=in_use)
    )
    for job in jobs:
        # Marked before the files go: a job is never offered for import with its file half deleted.
        ImportJob.objects.filter(pk=job.pk).update(upload_deleted_at=timezone.now(), errors_file="")
        for stored in (job.upload, job.errors_file):
            if stored:
                stored.storage.delete(stored.name)
    return len(jobs)
