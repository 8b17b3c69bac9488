from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import ngettext

from accounts.models import User
from reviews.models import Audit, AuditStatus
from reviews.remedies.services import actions_raise


class Command(BaseCommand):
    help = (
        "Raise the actions of signed-off audits that have none: those signed off before actions existed. Each "
        "audit's actions are due from its sign-off, as if raised then. Audits that already have actions, or that "
        "found nothing, are left as they are, so running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="The username recorded in each action's history as raising it.")

    def handle(self, *args, user: str | None = None, **options):
        by = None
        if user:
            by = User.objects.filter(username=user).first()
            if by is None:
                raise CommandError(f'No one has the username "{user}".')
        created = audits = 0
        for audit in Audit.objects.filter(status=AuditStatus.SIGNED_OFF, actions__isnull=True).order_by("pk"):
            with transaction.atomic():
                locked = Audit.objects.select_for_update().get(pk=audit.pk)
                counts = actions_raise(audit=locked, by=by)
            created += counts["created"]
            audits += 1 if counts["created"] else 0
        self.stdout.write(
            ngettext("%(count)d action raised", "%(count)d actions raised", created) % {"count": created}
            + ngettext(" for %(count)d audit.", " for %(count)d audits.", audits) % {"count": audits}
        )
