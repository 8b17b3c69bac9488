"""Figures of the force results and national comparison pages, exactly (acceptance 1), and their query counts
(acceptance 2)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forces.models import Force
from reviews.models import IncorrectReason, OffenceCategory, RecordingGrade, ReviewKind, ReviewStatus
from reviews.results.publishing import audit_publish
from reviews.results.selectors import Scope, _national_shares, force_results, national_comparison
from tests.factories import force
from tests.reviews.results import summary_data as data

pytestmark = pytest.mark.django_db

OTHER_SEXUAL = OffenceCategory.OTHER_SEXUAL
RAPE = OffenceCategory.RAPE
VIOLENCE = OffenceCategory.VIOLENCE
ROBBERY = OffenceCategory.ROBBERY


@pytest.fixture
def published(db):
    """Northamptonshire: 2 of 20 other sexual offence decisions wrong, 2 of 19 victims not told (one with no
    auditable record), plus what must not count. Kent: 0 of 17 rape and 9 of 17 violence decisions wrong."""
    northants = data.audit(
        "northamptonshire", "Northamptonshire 2025-26", grade=RecordingGrade.GOOD, categories=[OTHER_SEXUAL]
    )
    data.reviews(northants, OTHER_SEXUAL, correct=18, incorrect=2, told=17, not_told=1, no_record=1)
    # Not counted: an unapproved review, and a second review of an already reviewed decision.
    data.reviews(northants, OTHER_SEXUAL, incorrect=1, status=ReviewStatus.SUBMITTED)
    data.reviews(northants, OTHER_SEXUAL, incorrect=1, kind=ReviewKind.SECOND)
    earlier = data.audit("northamptonshire", "Northamptonshire 2024-25", period_end=date(2025, 3, 31))
    data.reviews(earlier, OTHER_SEXUAL, correct=10, incorrect=10)
    in_progress = data.audit(
        "northamptonshire", "Northamptonshire 2026-27", signed_off=False, period_end=date(2027, 3, 31)
    )
    data.reviews(in_progress, OTHER_SEXUAL, incorrect=4, status=ReviewStatus.SUBMITTED)

    kent = data.audit("kent", "Kent 2025-26", categories=[RAPE, VIOLENCE])
    data.reviews(kent, RAPE, correct=17, cannot_tell=2, told=10)
    data.reviews(kent, VIOLENCE, correct=8, incorrect=9, reason=IncorrectReason.SHOULD_STAY_RECORDED, criterion="C4")
    return {"northants": northants, "earlier": earlier, "in_progress": in_progress, "kent": kent}


def test_force_results_give_the_published_figures(published, supervisor):
    results = force_results(force=force("northamptonshire"), user=supervisor, scope=Scope())

    assert results.audit == published["northants"]
    [other_sexual] = results.categories
    share = other_sexual.incorrect_share
    assert (other_sexual.reviewed, other_sexual.correct, other_sexual.incorrect) == (20, 18, 2)
    assert (share.percent, share.lower_percent, share.upper_percent) == (
        Decimal("10.0"),
        Decimal("2.8"),
        Decimal("30.1"),
    )
    assert share.in_words == "1 in 10"
    assert str(other_sexual.correct_share) == "18 of 20"
    assert str(results.total.victims) == "2 of 19"
    assert str(results.total.victims_without_record) == "1 of 19"
    assert results.headline == (
        "Northamptonshire Police wrongly cancelled 1 in 10 other sexual offence records reviewed (2 of 20). "
        "2 of 19 victims were not told."
    )


def test_none_wrong_reads_none_of_and_cannot_tell_is_counted_on_its_own(published, supervisor):
    results = force_results(force=force("kent"), user=supervisor, scope=Scope())

    rape, violence = results.categories
    assert (rape.reviewed, rape.cannot_tell, rape.judged) == (19, 2, 17)
    assert rape.incorrect_share.in_words == "none of 17"
    assert (rape.incorrect_share.lower_percent, rape.incorrect_share.upper_percent) == (Decimal("0.0"), Decimal("18.4"))
    assert violence.incorrect_share.percent == Decimal("52.9")
    assert dict(results.by_criterion)["C4"].incorrect == 9
    assert dict(results.by_reason)[IncorrectReason.SHOULD_STAY_RECORDED] == 9
    assert len(results.incorrect_reviews) == 9


def test_the_force_page_prints_the_figures(published, supervisor, client):
    client.force_login(supervisor)

    page = client.get(reverse("force_results", args=["northamptonshire"])).content.decode()

    assert "Northamptonshire Police wrongly cancelled 1 in 10 other sexual offence records reviewed (2 of 20)." in page
    assert "10.0% (2.8% to 30.1%)" in page
    assert "2 of 19 victims who should have been told were not told, including 1 with no auditable record" in page
    assert "Northamptonshire 2024-25" in page  # offered as an earlier audit
    assert "Includes work in progress" not in page


def test_an_earlier_audit_has_its_own_page(published, supervisor, client):
    client.force_login(supervisor)
    earlier = published["earlier"]

    page = client.get(reverse("force_audit_results", args=["northamptonshire", earlier.pk])).content.decode()

    assert "wrongly cancelled 1 in 2 other sexual offence records reviewed (10 of 20)" in page


def test_work_in_progress_counts_only_when_a_supervisor_asks_and_is_labelled(published, supervisor, client):
    client.force_login(supervisor)

    page = client.get(reverse("force_results", args=["northamptonshire"]), {"in_progress": "1"}).content.decode()

    assert "Includes work in progress" in page
    assert "Northamptonshire 2026-27" in page
    assert "wrongly cancelled all 4 other sexual offence records reviewed (4 of 4)" in page


def test_the_national_comparison_pools_the_audited_forces(published, supervisor):
    comparison = national_comparison(forces=Force.objects.all(), scope=Scope())

    assert len(comparison.rows) == 43
    rows = {row.force.code: row for row in comparison.rows}
    assert rows["northamptonshire"].audit == published["northants"]
    assert rows["northamptonshire"].categories[OTHER_SEXUAL].incorrect_share.percent == Decimal("10.0")
    assert str(rows["northamptonshire"].victims) == "2 of 19"
    assert rows["kent"].categories[VIOLENCE].incorrect_share.percent == Decimal("52.9")
    assert not rows["kent"].categories[ROBBERY].judged
    assert not rows["essex"].audited
    assert str(comparison.national[OTHER_SEXUAL]) == "2 of 20"
    assert str(comparison.national[VIOLENCE]) == "9 of 17"
    assert str(comparison.national[RAPE]) == "0 of 17"


def test_the_national_rate_stays_national_when_the_table_shows_one_region(published, supervisor):
    comparison = national_comparison(forces=Force.objects.filter(region="South East"), scope=Scope())

    assert {row.force.code for row in comparison.rows} >= {"kent"}
    assert "northamptonshire" not in {row.force.code for row in comparison.rows}
    assert str(comparison.national[OTHER_SEXUAL]) == "2 of 20"


@pytest.mark.parametrize("scope", [Scope(), Scope(include_in_progress=True)], ids=["signed off", "in progress too"])
def test_the_national_rates_added_up_from_every_forces_row_are_the_pooled_ones(published, supervisor, scope):
    everyone = national_comparison(forces=Force.objects.all(), scope=scope)
    pooled = _national_shares(scope=scope)

    assert {category: str(share) for category, share in everyone.national.items()} == {
        category: str(pooled.get(category, "—")) for category in everyone.categories
    }
    assert all(
        row.categories[category].national == pooled.get(category)
        for row in everyone.rows
        for category in everyone.categories
    )


def test_a_period_chooses_each_forces_latest_audit_within_it(published, supervisor):
    comparison = national_comparison(
        forces=Force.objects.all(), scope=Scope(), period=(date(2024, 4, 1), date(2025, 3, 31))
    )

    rows = {row.force.code: row for row in comparison.rows}
    assert rows["northamptonshire"].audit == published["earlier"]
    assert str(rows["northamptonshire"].categories[OTHER_SEXUAL].incorrect_share) == "10 of 20"
    assert not rows["kent"].audited


def test_the_national_page_shows_not_audited_never_zero(published, supervisor, client):
    client.force_login(supervisor)

    response = client.get(reverse("national_comparison"))

    rows = {row.force.code: row for row in response.context["table"].data}
    assert len(rows) == 43
    page = response.content.decode()
    assert page.count("not audited") >= 41 * 4
    essex = page[page.index("Essex Police") : page.index("</tr>", page.index("Essex Police"))]
    assert "not audited" in essex
    assert "0.0%" not in essex


def _query_count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


# Each page's queries: the session, the user and their roles (3), the force or forces, and saving the session (3).
# The force page: the audits and their categories, one count of every figure, the pooled national rates, the
# incorrect decisions and the force's published audits for its trend. The national page reads the published
# versions: what stands (one query: the newest version, how many there are and stand), the forces listed and the
# share of their actions put right (one each), which together key its figures in the cache, and the regions for
# the filter. Drawing the figures after a change adds each force's latest version (the national rates pooled
# from them), the forces in order, and the rates of every financial year (four); an export draws its table only.
# The force page also counts the actions per audit and kind.
@pytest.mark.parametrize(
    ("url", "params", "queries"),
    [
        (reverse("force_results", args=["northamptonshire"]), {}, 14),
        (reverse("force_results", args=["northamptonshire"]), {"in_progress": "1"}, 14),
        (reverse("national_comparison"), {}, 10),
        (reverse("national_comparison"), {"region": "East Midlands", "category": "rape", "sort": "-rape"}, 10),
        # An export also writes its access record (3: the row, in a savepoint inside the test's transaction).
        (reverse("national_comparison"), {"_export": "csv"}, 13),
    ],
)
def test_the_summary_pages_run_the_same_queries_whatever_the_data_size(
    supervisor, client, url, params, queries, django_assert_num_queries
):
    client.force_login(supervisor)
    small = data.audit("northamptonshire", "Small", categories=[OTHER_SEXUAL])
    data.reviews(small, OTHER_SEXUAL, correct=2, incorrect=1, told=1)
    audit_publish(audit=small, by=supervisor)
    first = _query_count(client, url, params)

    for number, code in enumerate(["northamptonshire", "kent", "essex", "dyfed-powys", "cumbria"]):
        larger = data.audit(code, f"Larger {number}", period_end=date(2026, 3, 31), categories=[OTHER_SEXUAL, RAPE])
        data.reviews(larger, OTHER_SEXUAL, correct=12, incorrect=6, told=8, not_told=3)
        data.reviews(larger, RAPE, correct=5, incorrect=2, cannot_tell=1, criterion="C1")
        audit_publish(audit=larger, by=supervisor)
    second = _query_count(client, url, params)

    assert first == second
    with django_assert_num_queries(queries):
        client.get(url, params)
