from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from forces.data import FORCES_CSV, ForceFileError
from forces.services import forces_load


class Command(BaseCommand):
    help = "Create or update police forces from a CSV file (code, name, former_names, country, region)."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", default=str(FORCES_CSV), help="CSV file; defaults to the 43 shipped forces."
        )

    def handle(self, *args, file: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            result = forces_load(path=path)
        except (ForceFileError, UnicodeDecodeError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Forces: {result.created} created, {result.updated} updated, {result.unchanged} unchanged.")
