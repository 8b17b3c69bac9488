from reviews.exchange.decisions import decisions_import
from reviews.management.imports import ImportCommand


class Command(ImportCommand):
    help = (
        "Create or update crime records and their cancellation decisions from a decisions file (CSV or XLSX). "
        "The whole file is checked first; any row error and nothing is saved."
    )

    def run_import(self, file, *, dry_run, options):
        return decisions_import(file=file, dry_run=dry_run)
