from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from reviews.imports.services import import_uploads_tidy


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
