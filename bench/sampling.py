"""Drawing an audit's sample from a very large force: the time, queries and memory to plan and draw an
audit (four categories of 20) and then extend it, over one force's decisions at national scale."""

import random
import time
import tracemalloc
from datetime import date

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

DECISIONS = 200_000
BATCH = 5_000
SEED = 20261127
PERIOD_START = date(2021, 4, 1)
PERIOD_END = date(2026, 3, 31)
FORCE = "metropolitan"


def _load(force, others) -> None:
    """`DECISIONS` synthetic decisions for `force`, bulk-inserted (the benchmark times the draw, not this)."""
    from reviews.demo import random_decision
    from reviews.models import CancellationDecision, CrimeRecord

    rng = random.Random(SEED)
    for start in range(0, DECISIONS, BATCH):
        rows = [
            random_decision(rng, period_start=PERIOD_START, period_end=PERIOD_END, receiving_forces=others)
            for _ in range(start, min(start + BATCH, DECISIONS))
        ]
        with transaction.atomic():
            records = CrimeRecord.objects.bulk_create(
                CrimeRecord(
                    force=force,
                    reference=f"MPS/{row['recorded_on']:%y}/{start + number:07d}",
                    offence_category=row["offence_category"],
                    offence_code=row["offence_code"],
                    recorded_on=row["recorded_on"],
                )
                for number, row in enumerate(rows)
            )
            CancellationDecision.objects.bulk_create(
                CancellationDecision(
                    crime_record=record,
                    force=force,
                    recorded_on=record.recorded_on,
                    outcome=row["outcome"],
                    criterion=row["criterion"],
                    decided_on=row["decided_on"],
                    authoriser_role=row["authoriser_role"],
                    receiving_force=row["receiving_force"],
                    rationale=row["rationale"],
                )
                for record, row in zip(records, rows, strict=True)
            )


def _measure(action) -> dict:
    """Time and queries of `action()`. Memory is measured apart (`_peak_mib`): tracing slows Python down."""
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = action()
    return {"result": result, "seconds": round(time.perf_counter() - started, 2), "queries": len(queries)}


def _peak_mib(action) -> float:
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return round(peak / 2**20, 1)


def _empty_tables() -> None:
    from reviews.models import Audit, CancellationDecision, CrimeRecord, Review

    # The tables this benchmark fills belong to it.
    Review.objects.all().delete()
    Review.history.all().delete()
    Audit.objects.all().delete()
    Audit.history.all().delete()
    CancellationDecision.objects.all().delete()
    CrimeRecord.objects.all().delete()


def _plan(force, *, name: str, per_category: int):
    """Plan an audit of `force` over the benchmark's period, `per_category` decisions from each audited
    category, and draw its sample: the audit and its draws."""
    from reviews.models import OffenceCategory
    from reviews.workflow.planning import audit_plan

    return audit_plan(
        force=force,
        name=name,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        categories=dict.fromkeys(OffenceCategory.audited(), per_category),
        seed=SEED,
    )


def run() -> dict:
    from forces.models import Force
    from reviews.models import Review
    from reviews.workflow.planning import audit_draw_sample

    _empty_tables()
    force = Force.objects.get(code=FORCE)
    others = list(Force.objects.exclude(pk=force.pk))
    started = time.perf_counter()
    _load(force, others)
    with connection.cursor() as cursor:
        # As autovacuum would after a large import: the planner needs to know the tables' new sizes.
        cursor.execute("ANALYZE reviews_crimerecord, reviews_cancellationdecision")
    load_seconds = round(time.perf_counter() - started, 1)

    def plan():
        audit, draws = _plan(force, name="National-scale sample", per_category=20)
        return audit, {draw.audit_category.offence_category: draw.population_size for draw in draws}

    drawn = _measure(plan)
    audit, populations = drawn.pop("result")
    extended = _measure(lambda: audit_draw_sample(audit=audit, extra_per_category=20))
    extended.pop("result")
    # Drawing an already drawn audit again reads the whole population but adds nothing: its peak memory is
    # the draw's own.
    repeat = _measure(lambda: audit_draw_sample(audit=audit))
    repeat.pop("result")
    repeat["peak_mib"] = _peak_mib(lambda: audit_draw_sample(audit=audit))
    # Drawing again from the same population and seed: the same sample.
    again = _measure(lambda: _plan(force, name="National-scale sample, again", per_category=40)[0])
    same = set(Review.objects.filter(audit=audit).values_list("decision_id", flat=True)) == set(
        Review.objects.filter(audit=again.pop("result")).values_list("decision_id", flat=True)
    )
    return {
        "decisions": DECISIONS,
        "load_seconds": load_seconds,
        "populations": populations,
        "draw_4x20": drawn,
        "extend_by_20": extended,
        "draw_again_adds_nothing": repeat,
        "redraw_4x40": again,
        "redraw_same_sample": same,
    }


def report(figures: dict) -> str:
    lines = [
        f"Sampling from one force with {figures['decisions']:,} decisions "
        f"(loaded in {figures['load_seconds']} s); populations {figures['populations']}",
        f"{'step':<26}{'seconds':>9}{'queries':>9}",
    ]
    for step in ("draw_4x20", "extend_by_20", "draw_again_adds_nothing", "redraw_4x40"):
        row = figures[step]
        lines.append(f"{step:<26}{row['seconds']:>9}{row['queries']:>9}")
    lines.append(f"peak Python memory of a draw: {figures['draw_again_adds_nothing']['peak_mib']} MiB")
    lines.append(f"a fresh draw of the extended size gives the same sample: {figures['redraw_same_sample']}")
    return "\n".join(lines)
