from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import ngettext

from reviews.models import IMPORT_FINISHED_STATES, ImportJob


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


class Command(BaseCommand):
    help = (
        "Delete the files uploaded for imports, and their lists of row errors, once they are older than "
        "IMPORT_KEEP_UPLOADS_DAYS (DJANGO_IMPORT_KEEP_UPLOADS_DAYS) and every job using them has finished. "
        "Run it daily from cron; `jobs_worker` also runs it when it starts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="keep the files of this many days instead (default: IMPORT_KEEP_UPLOADS_DAYS)",
        )

    def handle(self, *args, days: int | None, **options):
        days = settings.IMPORT_KEEP_UPLOADS_DAYS if days is None else days
        if days < 0:
            raise CommandError("The number of days to keep must be 0 or more.")
        tidied = import_uploads_tidy(older_than=timedelta(days=days))
        if options["verbosity"]:
            self.stdout.write(
                ngettext(
                    "Deleted the stored files of %(count)d import older than %(days)d days.",
                    "Deleted the stored files of %(count)d imports older than %(days)d days.",
                    tidied,
                )
                % {"count": tidied, "days": days}
            )
