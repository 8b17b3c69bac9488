from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from forces.models import Force
from reviews.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo


class Command(BaseCommand):
    help = "Load demonstration forces' decisions, two audits and one user per role (local use only)."

    def add_arguments(self, parser):
        parser.add_argument("--allow-production", action="store_true", help="Seed even with DJANGO_ENV=production.")

    def handle(self, *args, allow_production: bool, **options):
        if settings.PRODUCTION and not allow_production:
            raise CommandError("Refusing to load demo users with known passwords into a production database.")
        if Force.objects.count() == 0:
            raise CommandError("No forces are loaded: run `python manage.py migrate` first.")
        result = seed_demo()
        self.stdout.write(
            f"Demo data: {result.decisions} decisions in {result.forces} forces, "
            f"{result.audits} audits and {result.users} users created (existing ones left as they were)."
        )
        if options["verbosity"] >= 1:
            self.stdout.write(f"Demo sign-ins (password {DEMO_PASSWORD}): " + ", ".join(u[0] for u in DEMO_USERS))
