import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django.utils.module_loading import import_string

# How often an idle database-queue worker looks for a job: a job uploaded in the browser starts within this time.
DEFAULT_INTERVAL = 0.3


def uses_redis_queue() -> bool:
    """Whether the settings put the background jobs on RQ (REDIS_URL set) rather than on the database queue."""
    from django_tasks_rq import RQBackend

    backend = import_string(settings.TASKS["default"]["BACKEND"])
    return issubclass(backend, RQBackend)


class Command(BaseCommand):
    help = (
        "Work the background jobs (imports uploaded in the browser) until stopped: `db_worker` on the database "
        "queue, or `rqworker` when REDIS_URL puts the queue on Redis. Run one or more beside the web servers. "
        "SIGTERM or Ctrl-C lets the job in hand finish first; a second one stops it at once, undoing its work."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=DEFAULT_INTERVAL,
            help=f"seconds an idle worker waits before looking for a job again (database queue; default "
            f"{DEFAULT_INTERVAL})",
        )
        parser.add_argument(
            "--reload",
            action="store_true",
            help="restart the worker when the code changes, as the development server does (database queue)",
        )
        parser.add_argument("--name", help="a name for this worker, unique among the workers (default: generated)")
        parser.add_argument(
            "--no-tidy",
            action="store_true",
            help="do not delete the stored uploads older than IMPORT_KEEP_UPLOADS_DAYS on starting",
        )

    def handle(self, *args, interval: float, reload: bool, name: str | None, no_tidy: bool, **options):
        verbosity = options["verbosity"]
        # With --reload, this command runs twice: as the watcher, and as the worker the watcher restarts.
        if not no_tidy and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            call_command("tidy_imports", verbosity=verbosity)
        worker = {"worker_id": name} if name else {}
        if uses_redis_queue():
            worker = {"name": name} if name else {}
            call_command(
                "rqworker", settings.TASKS_QUEUE, job_class="django_tasks_rq.Job", verbosity=verbosity, **worker
            )
        else:
            call_command(
                "db_worker",
                queue_name=settings.TASKS_QUEUE,
                interval=interval,
                reload=reload,
                verbosity=verbosity,
                **worker,
            )
