from django.core.management.base import CommandError

from accounts.models import User
from reviews.exchange.reviews import reviews_import
from reviews.management.imports import ImportCommand


class Command(ImportCommand):
    help = (
        "Create or update the reviews of a completed audit from a reviews file (CSV or XLSX), creating the audit "
        "if it does not exist. The whole file is checked first; any row error and nothing is saved. An approved "
        "review the file would change is a row error unless --reopen-approved is given."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--reopen-approved",
            action="store_true",
            help="let the file change approved reviews: each goes back to 'submitted' for approval, and its history "
            "names the person given with --user (required)",
        )

    def run_import(self, file, *, dry_run, options):
        by = None
        if options.get("user"):
            by = User.objects.filter(username=options["user"]).first()
            if by is None:
                raise CommandError(f'No user called "{options["user"]}".')
        return reviews_import(file=file, dry_run=dry_run, by=by, reopen_approved=options["reopen_approved"])
