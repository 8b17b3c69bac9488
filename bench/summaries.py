"""Server time of the summary pages at national scale: 200,000 decisions over the 43 forces (the synthetic
national extract), five signed-off and published audit rounds per force of about 80 approved reviews each, then
the national comparison, its CSV export and a force's results page requested repeatedly through Django's test
client.

Targets: the pages that read the published versions, under 50 ms median for the national page and 100 ms for a
force's page with five audits of history as its force contact reads it; every other page (the live figures a
supervisor reads, the export) under 300 ms median, on PostgreSQL.
"""

import io
import random
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from bench.national import write_national_extract
from forces.models import Force
from reviews.demo import _answers
from reviews.models import (
    Audit,
    AuditCategory,
    AuditStatus,
    CancellationDecision,
    OffenceCategory,
    PublishedResults,
    RecordingGrade,
    Review,
    ReviewKind,
    ReviewStatus,
)
from reviews.results.publishing import audit_publish

DECISIONS = 200_000
ROUNDS = 5  # financial years 2021-22 to 2025-26, the extract's period
PER_CATEGORY = 20  # four audited categories: about 80 reviews per audit
REQUESTS = 40
WARM_UP = 3
TARGET_MS = 300
NATIONAL_TARGET_MS = 50  # read from the published versions
FORCE_PUBLISHED_TARGET_MS = 100
SEED = 6
FORCE = "northamptonshire"


def _financial_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _empty_tables() -> None:
    tables = [PublishedResults, Review, AuditCategory, Audit, CancellationDecision]
    names = ", ".join(model._meta.db_table for model in tables) + ", reviews_crimerecord"
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")  # noqa: S608 - model table names


def _load_decisions() -> dict[tuple[int, int, str], list[int]]:
    """Import the national extract with `import_decisions`, as a force's data steward would; returns decision ids
    by (force id, financial year, category)."""
    with tempfile.TemporaryDirectory() as folder:
        extract = write_national_extract(Path(folder) / "national.csv", rows=DECISIONS)
        call_command("import_decisions", str(extract), stdout=io.StringIO())
    population: dict[tuple[int, int, str], list[int]] = defaultdict(list)
    decisions = CancellationDecision.objects.order_by("pk").values_list(
        "pk", "force_id", "decided_on", "crime_record__offence_category"
    )
    for pk, force_id, decided_on, category in decisions.iterator(chunk_size=10_000):
        population[(force_id, _financial_year(decided_on), category)].append(pk)
    return population


def _user(username: str, role: Role) -> User:
    user, _ = User.objects.get_or_create(username=f"bench-{username}")
    user.groups.add(Group.objects.get(name=role))
    return user


def _load_audits(population: dict[tuple[int, int, str], list[int]], supervisor: User, auditor: User) -> int:
    """Five signed-off rounds per force, each sampling up to 20 decisions per audited category, all approved."""
    rng = random.Random(SEED)
    criteria = dict(CancellationDecision.objects.values_list("pk", "criterion"))
    grades = list(RecordingGrade.values)
    audits, categories, reviews = [], [], []
    for force in Force.objects.order_by("code"):
        for year in range(2021, 2021 + ROUNDS):
            audit = Audit(
                force=force,
                name=f"Cancellations {year}-{str(year + 1)[2:]}",
                period_start=date(year, 4, 1),
                period_end=date(year + 1, 3, 31),
                status=AuditStatus.SIGNED_OFF,
                seed=rng.randrange(2**31),
                recording_grade=rng.choice(grades),
                created_by=supervisor,
                signed_off_by=supervisor,
                signed_off_at=datetime(year + 1, 6, 1, 9, 30, tzinfo=UTC),
            )
            audits.append(audit)
            for category in OffenceCategory.audited():
                categories.append(AuditCategory(audit=audit, offence_category=category, sample_size=PER_CATEGORY))
                pool = population.get((force.pk, year, str(category)), [])
                for decision_id in rng.sample(pool, min(PER_CATEGORY, len(pool))):
                    review = Review(audit=audit, decision_id=decision_id, kind=ReviewKind.PRIMARY, auditor=auditor)
                    review.decision = CancellationDecision(pk=decision_id, criterion=criteria[decision_id])
                    for name, value in _answers(review, rng).items():
                        setattr(review, name, value)
                    review.status = ReviewStatus.APPROVED
                    review.submitted_at = audit.signed_off_at
                    reviews.append(review)
    Audit.objects.bulk_create(audits)
    AuditCategory.objects.bulk_create(categories)
    Review.objects.bulk_create(reviews, batch_size=2000)
    return len(reviews)


def _publish_audits(supervisor: User) -> int:
    """Publish every audit, oldest first, as a supervisor does once each is signed off."""
    audits = Audit.objects.order_by("period_end", "force__code")
    for audit in audits:
        audit_publish(audit=audit, by=supervisor)
    return audits.count()


def _time(client: Client, url: str, params: dict, target_ms: int = TARGET_MS) -> dict:
    for _ in range(WARM_UP):
        assert client.get(url, params).status_code == 200
    timings = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    timings.sort()
    return {
        "url": url + (f"?{'&'.join(f'{key}={value}' for key, value in params.items())}" if params else ""),
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[max(0, round(0.95 * len(timings)) - 1)], 1),
        "queries": len(queries),
        "bytes": len(response.content),
        "target_ms": target_ms,
    }


@dataclass
class NationalDataset:
    supervisor: User
    auditor: User
    population: dict[tuple[int, int, str], list[int]]  # decision ids by (force id, financial year, category)
    approved_reviews: int
    load_decisions_seconds: float
    load_seconds: float
    published: int = 0
    publish_seconds: float = 0.0


def load_national_dataset() -> NationalDataset:
    """Empty the crime, decision, audit and review tables and fill them at national scale: the synthetic
    extract's decisions, then five signed-off audit rounds per force, reviewed and approved by one auditor and
    one supervisor. The summaries benchmark and the load test (`bench/loadtest.py`) both start from this."""
    started = time.perf_counter()
    _empty_tables()
    population = _load_decisions()
    loaded_decisions = time.perf_counter() - started
    supervisor, auditor = _user("supervisor", Role.SUPERVISOR), _user("auditor", Role.AUDITOR)
    with transaction.atomic():
        reviews = _load_audits(population, supervisor, auditor)
    publishing = time.perf_counter()
    published = _publish_audits(supervisor)
    published_in = time.perf_counter() - publishing
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return NationalDataset(
        supervisor=supervisor,
        auditor=auditor,
        population=population,
        approved_reviews=reviews,
        load_decisions_seconds=round(loaded_decisions, 1),
        load_seconds=round(time.perf_counter() - started, 1),
        published=published,
        publish_seconds=round(published_in, 1),
    )


def run() -> dict:
    dataset = load_national_dataset()
    supervisor = dataset.supervisor

    # The host header the settings allow outside tests; the pages are timed end to end, middleware included.
    client = Client(HTTP_HOST="localhost")
    client.force_login(supervisor)
    earliest = Audit.objects.filter(force__code=FORCE).order_by("period_end").first()
    viewer = _user("viewer", Role.FORCE_CONTACT)
    viewer.force = Force.objects.get(code=FORCE)
    viewer.save()
    contact = Client(HTTP_HOST="localhost")
    contact.force_login(viewer)
    national, force_page = reverse("national_comparison"), reverse("force_results", args=[FORCE])
    pages = [
        ("national page", client, national, {}, NATIONAL_TARGET_MS),
        ("national page sorted by rape", client, national, {"sort": "-rape"}, NATIONAL_TARGET_MS),
        ("national CSV export", client, national, {"_export": "csv"}, TARGET_MS),
        ("national page with work in progress", client, national, {"in_progress": "1"}, TARGET_MS),
        ("force page, force contact", contact, force_page, {}, FORCE_PUBLISHED_TARGET_MS),
        ("force page (latest audit)", client, force_page, {}, TARGET_MS),
        (
            "force page (earliest audit)",
            client,
            reverse("force_audit_results", args=[FORCE, earliest.pk]),
            {},
            TARGET_MS,
        ),
        ("force printable report", client, reverse("force_audit_report", args=[FORCE, earliest.pk]), {}, TARGET_MS),
    ]
    return {
        "decisions": CancellationDecision.objects.count(),
        "forces": Force.objects.count(),
        "signed_off_audits": Audit.objects.filter(status=AuditStatus.SIGNED_OFF).count(),
        "published_versions": dataset.published,
        "publish_seconds": dataset.publish_seconds,
        "approved_reviews": dataset.approved_reviews,
        "load_decisions_seconds": dataset.load_decisions_seconds,
        "load_seconds": dataset.load_seconds,
        "requests_per_page": REQUESTS,
        "target_median_ms": TARGET_MS,
        "pages": {name: _time(user_client, url, params, target) for name, user_client, url, params, target in pages},
    }


def report(figures: dict) -> str:
    lines = [
        "Summary pages at national scale",
        f"  {figures['decisions']:,} decisions, {figures['forces']} forces, {figures['signed_off_audits']} signed-off "
        f"audits, {figures['approved_reviews']:,} approved reviews (loaded in {figures['load_seconds']} s)",
        f"  {figures['requests_per_page']} requests per page; median targets per page (ms)",
        f"  {'page':<30} {'median ms':>10} {'p95 ms':>10} {'queries':>8}  verdict",
    ]
    for name, page in figures["pages"].items():
        verdict = "within target" if page["median_ms"] < page.get("target_ms", TARGET_MS) else "OVER TARGET"
        lines.append(f"  {name:<30} {page['median_ms']:>10} {page['p95_ms']:>10} {page['queries']:>8}  {verdict}")
    return "\n".join(lines)
