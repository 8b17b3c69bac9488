from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import ngettext

from reviews.remedies.services import reminders_send


class Command(BaseCommand):
    help = (
        "Email each force contact the list of their force's overdue actions, and each supervisor the outcomes "
        "waiting for them. Run it daily from cron; nobody gets more than one reminder a day, so running it again "
        "the same day sends nothing new."
    )

    def handle(self, *args, **options):
        result = reminders_send(today=timezone.localdate())
        sent = result.sent
        self.stdout.write(ngettext("%(count)d reminder sent.", "%(count)d reminders sent.", sent) % {"count": sent})
        if result.failed:
            # A non-zero exit, so cron reports it; the next run sends what was refused.
            raise CommandError(f"The mail server refused the reminders to: {', '.join(result.failed)}.")
