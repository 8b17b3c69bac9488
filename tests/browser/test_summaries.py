"""Acceptance 4: a supervisor sorts and filters the national comparison, opens a force, and reads its headline
and the table beside its chart."""

import re

import pytest

from accounts.roles import Role
from reviews.models import OffenceCategory
from tests.factories import UserFactory
from tests.reviews.results import summary_data as data

pytestmark = pytest.mark.django_db(transaction=True)

OTHER_SEXUAL = OffenceCategory.OTHER_SEXUAL
RAPE = OffenceCategory.RAPE


def _audit_three_forces() -> None:
    northants = data.audit("northamptonshire", "Northamptonshire 2025-26", categories=[OTHER_SEXUAL, RAPE])
    data.reviews(northants, OTHER_SEXUAL, correct=18, incorrect=2, told=17, not_told=1, no_record=1)
    data.reviews(northants, RAPE, correct=17)
    leicestershire = data.audit("leicestershire", "Leicestershire 2025-26", categories=[OTHER_SEXUAL])
    data.reviews(leicestershire, OTHER_SEXUAL, correct=11, incorrect=9)
    kent = data.audit("kent", "Kent 2025-26", categories=[OTHER_SEXUAL])
    data.reviews(kent, OTHER_SEXUAL, correct=19, incorrect=1)
    data.publish_signed_off()


def _sign_in_to_the_national_comparison(page, base: str, screenshot) -> None:
    page.goto(f"{base}/sign-in/?next=/national/")
    page.get_by_label("Username").fill("lead")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/national/")
    assert page.locator("h1").inner_text() == "National comparison"
    assert page.locator(".app-national-table tbody tr").count() == 43
    screenshot("1-national")


def _sort_by_other_sexual_offences(page, screenshot) -> None:
    page.get_by_role("link", name=re.compile(r"^Other sexual offences\W+sort ascending$")).click()
    page.wait_for_url("**/national/?sort=other_sexual")
    page.get_by_role("link", name=re.compile(r"^Other sexual offences\W+sort descending$")).click()
    page.wait_for_url("**/national/?sort=-other_sexual")
    forces = page.locator(".app-national-table tbody tr td:first-child").all_inner_texts()
    assert forces[:3] == ["Leicestershire Police", "Northamptonshire Police", "Kent Police"]
    assert page.locator(".app-national-table tbody tr").nth(3).locator("td").nth(4).inner_text() == "not audited"
    screenshot("2-sorted-by-other-sexual-offences")


def _filter_to_the_east_midlands(page, screenshot) -> None:
    page.get_by_label("Region").select_option("East Midlands")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/national/?region=East+Midlands*")
    forces = page.locator(".app-national-table tbody tr td:first-child").all_inner_texts()
    assert forces[:2] == ["Leicestershire Police", "Northamptonshire Police"]  # still sorted
    assert "Kent Police" not in forces
    assert len(forces) == 5
    screenshot("3-east-midlands")


def _open_northamptonshire(page, base: str, screenshot) -> None:
    page.get_by_role("link", name="Northamptonshire Police").first.click()
    page.wait_for_url(f"{base}/forces/northamptonshire/")
    assert page.locator("#headline").inner_text() == (
        "Northamptonshire Police wrongly cancelled 1 in 10 other sexual offence records reviewed (2 of 20). "
        "It wrongly cancelled none of the rape (17) records reviewed. 2 of 19 victims were not told."
    )
    chart_table = page.locator("#force-chart-caption ~ .app-table-container table")
    rows = [row.locator("th, td").all_inner_texts() for row in chart_table.locator("tbody tr").all()]
    assert rows == [
        ["Rape", "0 of 17", "0.0%", "0.0% to 18.4%", "0.0%", "no clear difference"],
        ["Other sexual offences", "2 of 20", "10.0%", "2.8% to 30.1%", "20.0%", "no clear difference"],
    ]
    assert page.locator("#force-chart-caption ~ svg circle").count() == 2
    screenshot("4-northamptonshire")


def _print_its_report(page, base: str, screenshot) -> None:
    page.get_by_role("link", name="Printable report of this audit").click()
    page.wait_for_url(f"{base}/forces/northamptonshire/audits/*/report/")
    page.emulate_media(media="print")
    assert page.locator("#headline").is_visible()
    assert page.locator("#force-chart-caption ~ svg").is_visible()
    assert not page.locator(".govuk-service-navigation").is_visible()
    assert not page.locator(".app-no-print").first.is_visible()
    screenshot("5-printed-report")


def test_a_supervisor_compares_forces_and_opens_one(live_server, page, screenshot):
    base = live_server.url
    UserFactory(username="lead", role=Role.SUPERVISOR)
    _audit_three_forces()

    _sign_in_to_the_national_comparison(page, base, screenshot)
    _sort_by_other_sexual_offences(page, screenshot)
    _filter_to_the_east_midlands(page, screenshot)
    _open_northamptonshire(page, base, screenshot)
    _print_its_report(page, base, screenshot)

    assert page.problems == []
