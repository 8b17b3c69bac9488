"""A running import job's progress, its heartbeat and its cancellation, kept in the "jobs" cache.

The import holds its database transaction open until it ends, so what it reports while it runs cannot go to the
database: it goes to the "jobs" cache, which every web server and worker reads (Redis when `REDIS_URL` is set,
otherwise files on this computer). Three keys per job, under its random token:

* `progress`, written by the import between chunks of work: phase, rows total and rows done;
* `alive`, the time of the last heartbeat, written every `IMPORT_JOB_HEARTBEAT_SECONDS` by a thread of its own,
  so that a job whose worker has died (killed, out of memory, the machine stopped) is noticed even in the middle
  of a long statement;
* `cancel`, set when someone asks the job to stop; the import looks at it between chunks and undoes everything.
"""

import logging
import threading
import time

from django.conf import settings
from django.core.cache import caches

from reviews.errors import ImportCancelled
from reviews.exchange.progress import Progress

logger = logging.getLogger(__name__)

# The import writes its progress at most this often (seconds): it reports after each chunk of rows (a few
# hundredths of a second of work each), and each report is one small write to the cache.
WRITE_EVERY = 0.02


def _cache():
    return caches["jobs"]


def _key(token: str, name: str) -> str:
    return f"import-job:{token}:{name}"


def live_progress(token: str) -> dict:
    """What a running job last reported: `phase`, `rows_total`, `rows_done` (empty before it starts) and `alive`
    (the time of its last heartbeat, or None)."""
    values = _cache().get_many([_key(token, "progress"), _key(token, "alive")])
    progress = dict(values.get(_key(token, "progress")) or {})
    progress["alive"] = values.get(_key(token, "alive"))
    return progress


def cancel_ask(token: str) -> None:
    _cache().set(_key(token, "cancel"), True)


def cancel_asked(token: str) -> bool:
    return bool(_cache().get(_key(token, "cancel")))


def forget(token: str) -> None:
    """Remove what the cache holds of a job once its outcome is in the database."""
    _cache().delete_many([_key(token, name) for name in ("progress", "alive", "cancel")])


def _alive(token: str) -> None:
    """The job is alive: a key that lasts `IMPORT_JOB_STALE_SECONDS`, so that its absence says the worker has gone
    silent, without comparing one computer's clock with another's."""
    _cache().set(_key(token, "alive"), time.time(), timeout=settings.IMPORT_JOB_STALE_SECONDS)


class JobProgress(Progress):
    """The progress of the job with `token`, told to the cache; raises `ImportCancelled` once cancelling is asked.

    Use it as a context manager: the heartbeat beats from entering to leaving."""

    wants_total = True

    def __init__(self, token: str):
        self.token = token
        self.state = {"phase": "", "rows_total": None, "rows_done": 0, "phase_started": time.time()}
        self._written = 0.0
        self._stop = threading.Event()
        self._heart = threading.Thread(target=self._beat, name=f"import-job-{token[:8]}-heartbeat", daemon=True)

    def __enter__(self) -> "JobProgress":
        _alive(self.token)
        self._heart.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._heart.join()

    def _beat(self) -> None:
        while not self._stop.wait(settings.IMPORT_JOB_HEARTBEAT_SECONDS):
            try:
                _alive(self.token)
            except Exception:
                # A cache that fails once (a network blip) must not stop the heart: the next beat tries again.
                logger.warning("Import job %s: its heartbeat could not be written", self.token[:8], exc_info=True)

    def phase(self, name: str, *, total: int | None = None) -> None:
        # A phase that does not know its total goes through the rows the phase before it counted.
        total = self.state["rows_total"] if total is None else total
        self.state = {"phase": name, "rows_total": total, "rows_done": 0, "phase_started": time.time()}
        self._write(force=True)

    def advance(self, done: int) -> None:
        self.state["rows_done"] = done
        self._write()

    def _write(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._written < WRITE_EVERY:
            return
        self._written = now
        _cache().set(_key(self.token, "progress"), dict(self.state))
        if cancel_asked(self.token):
            raise ImportCancelled()


WORKER_LOST = (
    "The worker running this job stopped before it finished (it was stopped, killed or ran out of memory). "
    "Nothing was saved: its transaction was undone. Upload the file again to try again."
)


def lost_job_fail(job) -> bool:
    """Mark `job` failed when it is running but its worker has died: no heartbeat for `IMPORT_JOB_STALE_SECONDS`.
    True when it was marked. (The import's transaction died with the worker's connection, so nothing was saved.)"""
    from django.utils import timezone

    from reviews.models import ImportJob, ImportState

    if job.state != ImportState.RUNNING:
        return False
    if _cache().get(_key(job.token, "alive")) is not None:
        return False
    # No heartbeat: lost, unless the job has only just been claimed by its worker.
    started = job.started_at.timestamp() if job.started_at else None
    if started is not None and time.time() - started < settings.IMPORT_JOB_STALE_SECONDS:
        return False
    now = timezone.now()
    marked = ImportJob.objects.filter(pk=job.pk, state=ImportState.RUNNING).update(
        state=ImportState.FAILED, phase="", finished_at=now, message=WORKER_LOST
    )
    if marked:
        job.state, job.phase, job.finished_at, job.message = ImportState.FAILED, "", now, WORKER_LOST
        forget(job.token)
    return bool(marked)
