"""The demo's import jobs (`reviews.demo.seed_demo` adds them last): a few finished jobs for the Imports page."""

import csv
import io

from django.core.files.base import ContentFile

from accounts.models import User
from forces.models import Force
from reviews.exchange.resources import DecisionResource
from reviews.imports.runner import import_job_run
from reviews.imports.services import import_job_confirm, import_job_create
from reviews.models import CancellationDecision, ImportJob, ImportKind, ImportState

DEMO_IMPORT_ROWS = 25
# Rows of the demo's file with errors: (row index, column, value), each breaking one rule.
DEMO_IMPORT_MISTAKES = [(2, "criterion", "C9"), (7, "recorded_on", "2026-02-30"), (11, "force", "Wessex Police")]


def import_jobs_seed(*, steward: User, force: Force) -> None:
    """Run by the worker's own code: a check of some of `force`'s decisions that passed and the import that followed
    it (every row unchanged, as they are stored already), and a check of the same file with some rows broken. Only
    when no import job exists yet, so seeding again changes nothing."""
    if ImportJob.objects.exists():
        return
    decisions = CancellationDecision.objects.filter(force=force).order_by("crime_record__reference")
    rows = list(csv.reader(io.StringIO(DecisionResource().export(decisions[:DEMO_IMPORT_ROWS]).csv)))
    header, body = rows[0], rows[1:]
    broken = [list(row) for row in body]
    for index, column, value in DEMO_IMPORT_MISTAKES:
        broken[index][header.index(column)] = value

    def run(name: str, content: list[list[str]]) -> ImportJob:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows([header, *content])
        upload = ContentFile(buffer.getvalue().encode("utf-8"), name=name)
        job = import_job_create(upload=upload, kind=ImportKind.DECISIONS, check_only=True, by=steward)
        import_job_run(job_id=job.pk)
        job.refresh_from_db()
        return job

    check = run(f"{force.code}-decisions.csv", body)
    if check.state == ImportState.DONE and not check.error_count:
        import_job_run(job_id=import_job_confirm(job=check, by=steward).pk)
    run(f"{force.code}-decisions-corrected.csv", broken)
