"""What `import_decisions` and `import_reviews` share: open the file, run the import, print the report."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from reviews.imports import ImportFileError, ImportRefused, ImportReport


class ImportCommand(BaseCommand):
    """A command that imports one exchange format. Subclasses give `run_import(file, dry_run, options)`."""

    def add_arguments(self, parser):
        parser.add_argument("file", help="a CSV (UTF-8 or Windows-1252) or XLSX file with a header row")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the whole file and report what would change; save nothing"
        )

    def run_import(self, file, *, dry_run: bool, options: dict) -> ImportReport:
        raise NotImplementedError

    def handle(self, *args, file: str, dry_run: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            with path.open("rb") as handle:
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
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def _notices(self, report: ImportReport) -> None:
        for notice in report.notices:
            self.stdout.write(notice)
