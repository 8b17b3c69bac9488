from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from forces.models import Force
from reviews.models import OffenceCategory
from reviews.workflow.planning import audit_plan


class _DryRun(Exception):
    """Rolls the dry run's audit back once its sample is printed."""


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f'"{value}" is not a date: use YYYY-MM-DD, for example 2025-04-01.') from error


class Command(BaseCommand):
    help = (
        "Plan an audit of a force's decisions between two dates, draw its stratified sample and print the "
        "drawn crime references per category, so the draw can be checked independently."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", required=True, help="The force's code or name, e.g. northamptonshire.")
        parser.add_argument("--from", dest="start", required=True, help="First decision date, YYYY-MM-DD.")
        parser.add_argument("--to", dest="end", required=True, help="Last decision date, YYYY-MM-DD.")
        parser.add_argument("--per-category", type=int, default=20, help="Sample size per category (default 20).")
        parser.add_argument("--seed", type=int, required=True, help="The sample's seed.")
        parser.add_argument(
            "--category",
            action="append",
            choices=OffenceCategory.values,
            help="A category to sample; repeat for several (default: the four audited categories).",
        )
        parser.add_argument("--name", help="The audit's name (default: from the period and seed).")
        parser.add_argument("--dry-run", action="store_true", help="Print the sample without keeping the audit.")

    def handle(self, *args, force: str, start: str, end: str, per_category: int, seed: int, **options):
        try:
            force_obj = Force.objects.resolve(force)
        except Force.DoesNotExist as error:
            raise CommandError(f'No force called "{force}".') from error
        period_start, period_end = _date(start), _date(end)
        categories = options["category"] or list(OffenceCategory.audited())
        name = options["name"] or f"Sample {period_start:%Y-%m-%d} to {period_end:%Y-%m-%d}, seed {seed}"
        try:
            with transaction.atomic():
                audit, draws = audit_plan(
                    force=force_obj,
                    name=name,
                    period_start=period_start,
                    period_end=period_end,
                    categories=dict.fromkeys(categories, per_category),
                    seed=seed,
                )
                self._print(audit, draws)
                if options["dry_run"]:
                    raise _DryRun
        except _DryRun:
            self.stdout.write("Dry run: no audit was kept.")
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

    def _print(self, audit, draws) -> None:
        self.stdout.write(
            f"{audit.name}: {audit.force.name}, decisions {audit.period_start:%Y-%m-%d} to "
            f"{audit.period_end:%Y-%m-%d}, seed {audit.seed}"
        )
        for draw in draws:
            category = draw.audit_category
            whole = " (taken whole: fewer decisions than asked)" if draw.taken_whole else ""
            self.stdout.write(
                f"\n{category.get_offence_category_display()}: {len(draw.references)} of "
                f"{draw.population_size} decisions{whole}\npopulation sha256 {draw.checksum}"
            )
            for reference in draw.references:
                self.stdout.write(reference)
