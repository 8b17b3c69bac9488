"""Acceptance 2: the sample is reproducible from its population and seed, extends without changing what
was drawn, records a checksum of its population, and takes small categories whole."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.models import AuditStatus, OffenceCategory, Review
from reviews.results.statistics import wilson_interval
from reviews.workflow.planning import audit_create, audit_draw_sample
from reviews.workflow.sampling import margins_of_error, population_checksum
from tests.factories import DecisionFactory, force

pytestmark = pytest.mark.django_db

START, END = date(2026, 1, 1), date(2026, 3, 31)


def population(count: int, *, category=OffenceCategory.VIOLENCE, prefix="NH", code="northamptonshire") -> list[str]:
    references = [f"{prefix}/26/{number:05d}" for number in range(count)]
    for reference in references:
        DecisionFactory(
            crime_record__force=force(code), crime_record__reference=reference, crime_record__offence_category=category
        )
    return references


def plan(seed: int, sizes: dict, name: str | None = None):
    return audit_create(
        force=force(),
        name=name or f"Audit seed {seed} {sorted(sizes.items())}",
        period_start=START,
        period_end=END,
        categories=sizes,
        seed=seed,
    )


def drawn(audit, category=OffenceCategory.VIOLENCE) -> list[str]:
    return list(
        Review.objects.filter(audit=audit, decision__crime_record__offence_category=category)
        .order_by("sample_position")
        .values_list("decision__crime_record__reference", flat=True)
    )


def test_the_same_population_and_seed_give_the_same_sample_and_another_seed_another():
    population(60)
    first = plan(7, {OffenceCategory.VIOLENCE: 10}, "First")
    again = plan(7, {OffenceCategory.VIOLENCE: 10}, "Again")
    other = plan(8, {OffenceCategory.VIOLENCE: 10}, "Other seed")
    for audit in (first, again, other):
        audit_draw_sample(audit=audit)

    assert len(drawn(first)) == 10
    assert drawn(first) == drawn(again)
    assert drawn(other) != drawn(first)
    first.refresh_from_db()
    assert first.status == AuditStatus.IN_PROGRESS


def test_the_sample_does_not_depend_on_database_ids():
    """Loaded in another order (as after a restore, or on another machine), the same records give the same
    sample, because the population is ordered by crime reference."""
    references = population(40)
    audit = plan(99, {OffenceCategory.VIOLENCE: 8}, "Before")
    audit_draw_sample(audit=audit)
    before = drawn(audit)
    Review.objects.all().delete()
    from reviews.models import CrimeRecord

    CrimeRecord.objects.all().delete()
    for reference in reversed(references):
        DecisionFactory(crime_record__reference=reference)
    audit_after = plan(99, {OffenceCategory.VIOLENCE: 8}, "After")
    audit_draw_sample(audit=audit_after)

    assert drawn(audit_after) == before


def test_extending_the_sample_keeps_every_item_already_drawn_in_place():
    population(50)
    audit = plan(3, {OffenceCategory.VIOLENCE: 5})
    audit_draw_sample(audit=audit)
    before = drawn(audit)

    draws = audit_draw_sample(audit=audit, extra_per_category=4)

    after = drawn(audit)
    assert len(after) == 9
    assert after[:5] == before
    assert draws[0].added == 4
    # The extended sample is what a fresh draw of 9 with the same seed gives.
    fresh = plan(3, {OffenceCategory.VIOLENCE: 9}, "Fresh nine")
    audit_draw_sample(audit=fresh)
    assert drawn(fresh) == after


def test_drawing_again_adds_nothing():
    population(30)
    audit = plan(5, {OffenceCategory.VIOLENCE: 6})
    audit_draw_sample(audit=audit)

    draws = audit_draw_sample(audit=audit)

    assert draws[0].added == 0
    assert audit.reviews.count() == 6


def test_the_audit_keeps_each_categorys_population_size_and_checksum():
    references = population(25)
    population(3, category=OffenceCategory.ROBBERY, prefix="RB")
    DecisionFactory(
        crime_record__reference="OUTSIDE/1", crime_record__recorded_on=date(2025, 12, 1), decided_on=date(2025, 12, 31)
    )
    population(5, prefix="KP", code="kent")
    audit = plan(11, {OffenceCategory.VIOLENCE: 10, OffenceCategory.ROBBERY: 10})

    audit_draw_sample(audit=audit)

    violence = audit.categories.get(offence_category=OffenceCategory.VIOLENCE)
    assert violence.population_size == 25
    assert violence.population_checksum == population_checksum(sorted(references))
    assert not violence.taken_whole


def test_the_checksum_changes_when_the_population_changes():
    population(20)
    before = plan(1, {OffenceCategory.VIOLENCE: 5}, "Before")
    audit_draw_sample(audit=before)
    DecisionFactory(crime_record__reference="NH/26/99999")
    after = plan(1, {OffenceCategory.VIOLENCE: 5}, "After")
    audit_draw_sample(audit=after)

    checksum_before = before.categories.get().population_checksum
    checksum_after = after.categories.get().population_checksum
    assert checksum_before != checksum_after
    assert after.categories.get().population_size == 21


def test_a_changed_population_cannot_be_extended_silently():
    population(20)
    audit = plan(1, {OffenceCategory.VIOLENCE: 5})
    audit_draw_sample(audit=audit)
    DecisionFactory(crime_record__reference="NH/26/99999")

    with pytest.raises(ValidationError, match="have changed since the sample was drawn"):
        audit_draw_sample(audit=audit, extra_per_category=2)
    assert audit.reviews.count() == 5


def test_a_category_smaller_than_asked_is_taken_whole():
    references = population(3, category=OffenceCategory.RAPE, prefix="RP")
    audit = plan(2, {OffenceCategory.RAPE: 20})

    draws = audit_draw_sample(audit=audit)

    assert sorted(drawn(audit, OffenceCategory.RAPE)) == references
    assert draws[0].taken_whole
    assert audit.categories.get().taken_whole


def test_draw_sample_prints_the_same_references_as_the_service(capsys):
    population(40)
    population(2, category=OffenceCategory.RAPE, prefix="RP")
    arguments = ["--force", "Northamptonshire Police", "--from", "2026-01-01", "--to", "2026-03-31"]
    arguments += ["--per-category", "6", "--seed", "4242", "--category", "violence", "--category", "rape"]

    call_command("draw_sample", *arguments, "--name", "Command")
    first = capsys.readouterr().out
    call_command("draw_sample", *arguments, "--dry-run")
    repeat = capsys.readouterr().out
    call_command("draw_sample", *arguments[:-5], "4243", "--category", "violence", "--dry-run")
    other_seed = capsys.readouterr().out

    audit = plan(4242, {OffenceCategory.VIOLENCE: 6, OffenceCategory.RAPE: 6}, "Service")
    audit_draw_sample(audit=audit)
    for reference in drawn(audit) + drawn(audit, OffenceCategory.RAPE):
        assert f"\n{reference}\n" in first
    assert "taken whole" in first
    assert first.split("\n", 1)[1] == repeat.split("\n", 1)[1].removesuffix("Dry run: no audit was kept.\n")
    assert [line for line in other_seed.splitlines() if line.startswith("NH/")] != drawn(audit)
    assert Review.objects.filter(audit__name="Command").count() == 8


def test_draw_sample_reports_bad_input_without_a_traceback():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No force called"):
        call_command("draw_sample", "--force", "Atlantis", "--from", "2026-01-01", "--to", "2026-01-31", "--seed", "1")
    with pytest.raises(CommandError, match="is not a date"):
        call_command("draw_sample", "--force", "kent", "--from", "1/1/26", "--to", "2026-01-31", "--seed", "1")
    with pytest.raises(CommandError, match="period must end"):
        call_command("draw_sample", "--force", "kent", "--from", "2026-02-01", "--to", "2026-01-31", "--seed", "1")


def test_the_margin_of_error_helper_matches_the_published_example():
    low, high = wilson_interval(2, 20)
    assert round(low, 3) == 0.028
    assert round(high, 3) == 0.301
    rows = margins_of_error(20)
    assert [row["incorrect"] for row in rows] == [1, 2, 4, 6]


def test_an_audit_without_a_seed_gets_one_proposed_and_stored(client, supervisor):
    population(12)
    audit = plan(1, {OffenceCategory.VIOLENCE: 4})
    audit.seed = None
    audit.save()

    audit_draw_sample(audit=audit)

    audit.refresh_from_db()
    assert audit.seed is not None
    client.force_login(supervisor)
    first = client.get("/audits/new/").context["form"]["seed"].value()
    second = client.get("/audits/new/").context["form"]["seed"].value()
    assert isinstance(first, int)
    assert first != second


def test_drawing_runs_the_same_queries_for_a_sample_of_3_or_30():
    population(40)
    small = plan(5, {OffenceCategory.VIOLENCE: 3}, "Small")
    large = plan(5, {OffenceCategory.VIOLENCE: 30}, "Large")
    with CaptureQueriesContext(connection) as small_draw:
        audit_draw_sample(audit=small)
    with CaptureQueriesContext(connection) as large_draw:
        audit_draw_sample(audit=large)

    assert len(drawn(large)) == 30
    assert len(large_draw) == len(small_draw), [query["sql"] for query in large_draw]
    assert Review.history.filter(audit_id=large.pk, history_type="+").count() == 30, "each sampled item is on record"
