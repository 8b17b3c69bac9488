"""Quality assurance at national scale: one audit with 40,000 sampled decisions, every one reviewed twice by
40 auditors, 4,000 of them disagreeing. Times the audit page's quality figures (agreement per audit,
category and pair of auditors on two questions, known-answer accuracy) and the disagreements list.
"""

import time
from datetime import date

from bench.timing import page_render, timed

DECISIONS = 40_000
AUDITORS = 40
DISAGREE_EVERY = 10
REPEATS = 5


def _clear_earlier_run(force) -> None:
    from reviews.models import Audit, CrimeRecord, Disagreement, Review

    Audit.objects.filter(name="Bench QA").delete()
    Disagreement.objects.filter(audit__force=force).delete()
    Review.objects.filter(decision__crime_record__reference__startswith="QA/").delete()
    CrimeRecord.objects.filter(reference__startswith="QA/").delete()


def _auditors() -> list:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import Role

    group = Group.objects.get(name=Role.AUDITOR)
    auditors = []
    for number in range(AUDITORS):
        user, created = User.objects.get_or_create(
            username=f"bench-auditor-{number:02d}",
            defaults={"password": make_password(None), "first_name": "Auditor", "last_name": f"{number:02d}"},
        )
        user.groups.add(group)
        auditors.append(user)
    return auditors


def _decisions(force) -> list:
    from reviews.models import CancellationDecision, CrimeRecord, OffenceCategory

    categories = OffenceCategory.audited()
    records = CrimeRecord.objects.bulk_create(
        CrimeRecord(
            force=force,
            reference=f"QA/{number:06d}",
            offence_category=categories[number % len(categories)],
            recorded_on=date(2025, 4, 1),
        )
        for number in range(DECISIONS)
    )
    return CancellationDecision.objects.bulk_create(
        CancellationDecision(
            crime_record=record,
            force=force,
            recorded_on=record.recorded_on,
            outcome="cancelled",
            criterion="C2",
            decided_on=date(2025, 5, 1),
            authoriser_role="ddm",
        )
        for record in records
    )


def _review_twice(audit, decisions: list, auditors: list) -> None:
    """A first review of each decision, a second by the next auditor, and a disagreement every
    `DISAGREE_EVERY`th decision."""
    from reviews.models import Disagreement, OffenceCategory, Review, ReviewKind, ReviewStatus

    categories = OffenceCategory.audited()
    answers = {"status": ReviewStatus.SUBMITTED, "victim_should_be_informed": True, "victim_informed": "yes"}
    primaries = Review.objects.bulk_create(
        Review(
            audit=audit,
            decision=decision,
            auditor=auditors[number % AUDITORS],
            sample_position=number // len(categories),
            decision_correct="yes",
            **answers,
        )
        for number, decision in enumerate(decisions)
    )
    seconds = Review.objects.bulk_create(
        Review(
            audit=audit,
            decision_id=primary.decision_id,
            kind=ReviewKind.SECOND,
            primary_review=primary,
            auditor=auditors[(number + 1) % AUDITORS],
            decision_correct="cannot_tell" if number % DISAGREE_EVERY == 0 else "yes",
            **answers,
        )
        for number, primary in enumerate(primaries)
    )
    Disagreement.objects.bulk_create(
        Disagreement(
            audit=audit,
            decision_id=primary.decision_id,
            primary_review=primary,
            second_review=second,
            decision_correct_differs=True,
        )
        for number, (primary, second) in enumerate(zip(primaries, seconds, strict=True))
        if number % DISAGREE_EVERY == 0
    )


def _fill():
    """The audit, its decisions and both reviews of each, written with bulk inserts."""
    from forces.models import Force
    from reviews.models import Audit, AuditStatus

    force = Force.objects.get(code="northamptonshire")
    _clear_earlier_run(force)
    auditors = _auditors()
    audit = Audit.objects.create(
        force=force,
        name="Bench QA",
        period_start=date(2025, 4, 1),
        period_end=date(2026, 3, 31),
        status=AuditStatus.IN_PROGRESS,
        seed=1,
        second_review_share=100,
    )
    _review_twice(audit, _decisions(force), auditors)
    return audit


def run() -> dict:
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import RequestFactory

    from accounts.models import User
    from accounts.roles import Role
    from reviews.quality.selectors import audit_quality
    from reviews.quality.views import DisagreementListView

    started = time.perf_counter()
    audit = _fill()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reviews_review")
        cursor.execute("ANALYZE reviews_disagreement")
    fill_seconds = round(time.perf_counter() - started, 1)
    supervisor, _ = User.objects.get_or_create(username="bench-supervisor")
    supervisor.groups.add(Group.objects.get(name=Role.SUPERVISOR))
    supervisor = User.objects.get(pk=supervisor.pk)
    view = DisagreementListView.as_view()
    factory = RequestFactory()

    def page(query: dict):
        return page_render(view, factory, "/disagreements/", supervisor, query)

    return {
        "decisions": DECISIONS,
        "auditors": AUDITORS,
        "disagreements": DECISIONS // DISAGREE_EVERY,
        "fill_seconds": fill_seconds,
        "timings": {
            "audit page quality figures": timed(lambda: audit_quality(audit=audit), repeats=REPEATS),
            "disagreements, first page": timed(page({}), repeats=REPEATS),
            "disagreements, page 100": timed(page({"page": "100"}), repeats=REPEATS),
            "disagreements, one audit, waiting": timed(
                page({"audit": str(audit.pk), "status": "open"}), repeats=REPEATS
            ),
        },
    }


def report(figures: dict) -> str:
    lines = [
        f"Quality assurance: {figures['decisions']:,} decisions each reviewed twice by {figures['auditors']} "
        f"auditors, {figures['disagreements']:,} disagreements (filled in {figures['fill_seconds']} s), "
        f"median and worst of {REPEATS}",
        f"{'what':<36} {'median ms':>10} {'max ms':>8} {'queries':>8}",
    ]
    for name, timing in figures["timings"].items():
        lines.append(f"{name:<36} {timing['median_ms']:>10} {timing['max_ms']:>8} {timing['queries']:>8}")
    return "\n".join(lines)
