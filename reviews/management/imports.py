"""What `import_decisions` and `import_reviews` share: open the file, run the import, print the report."""

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from accounts.models import AccessAction, User
from accounts.services import access_record
from reviews.errors import ImportFileError, ImportRefused
from reviews.exchange.reading import ImportReport
from reviews.exchange.serial import one_import_at_a_time


class ImportCommand(BaseCommand):
    """A command that imports one exchange format. Subclasses give `run_import(file, dry_run, options)`."""

    # Loading data is not the moment to audit the project's configuration (`manage.py check` and CI do that);
    # skipping the system checks takes a quarter of a second off every import.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="a CSV (UTF-8 or Windows-1252) or XLSX file with a header row")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the whole file and report what would change; save nothing"
        )
        parser.add_argument(
            "--user",
            help="username of the person importing, for the access record (and, for reviews, as the creator of "
            "any audit the file creates); by default the operating-system login is recorded",
        )

    def run_import(self, file, *, dry_run: bool, options: dict) -> ImportReport:
        raise NotImplementedError

    def handle(self, *args, file: str, dry_run: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            # One import at a time, with every other way in (the upload pages' jobs): a second waits for the first.
            with one_import_at_a_time(writes=not dry_run), path.open("rb") as handle:
                report = self.run_import(handle, dry_run=dry_run, options=options)
        except ImportFileError as error:
            raise CommandError(f"{path.name}: {error}") from error
        except DatabaseError as error:
            # Only a change made by someone else during the import gets here: every rule was checked first.
            raise CommandError(f"The database refused the import, and nothing was saved: {error}") from error
        except ImportRefused as refused:
            self._notices(refused.report)
            for line in refused.report.error_lines():
                self.stderr.write(line)
            raise CommandError(refused.report.summary()) from refused
        self._notices(report)
        if not dry_run:
            self.record_change(path, report, options)
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def record_change(self, path: Path, report: ImportReport, options: dict) -> None:
        """An access record of the import: the person named with --user, or else the operating-system login."""
        user = User.objects.filter(username=options["user"]).first() if options.get("user") else None
        access_record(
            user=user,
            username="" if user else f"{getpass.getuser()} (command line)",
            action=AccessAction.IMPORTED,
            object_type=report.format_name,
            object_label=path.name,
            details={
                "file_name": path.name,
                "file_size": path.stat().st_size,
                "format": report.format_name,
                "row_count": report.rows,
                "counts": {"new": report.new, "updated": report.updated, "unchanged": report.unchanged},
                "via": "command line",
            },
        )

    def _notices(self, report: ImportReport) -> None:
        for notice in report.notices:
            self.stdout.write(notice)
