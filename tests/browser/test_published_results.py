"""Acceptance 4 of the published results: a supervisor reads a force's trend across its published audits, the
national comparison of one financial year beside the rates of every year, and what a planned sample can show. The
charts have tables beside them, and the trend reads the same without JavaScript."""

from datetime import date

import pytest

from accounts.roles import Role
from reviews.models import OffenceCategory
from tests.factories import DecisionFactory, UserFactory
from tests.reviews.results import summary_data as data

pytestmark = pytest.mark.django_db(transaction=True)

OTHER_SEXUAL = OffenceCategory.OTHER_SEXUAL
RAPE = OffenceCategory.RAPE


def _published_history() -> None:
    for code, name, end, counts in [
        ("northamptonshire", "Northamptonshire 2024-25", date(2025, 3, 31), {OTHER_SEXUAL: (29, 71), RAPE: (1, 20)}),
        ("northamptonshire", "Northamptonshire 2025-26", date(2026, 3, 31), {OTHER_SEXUAL: (2, 20), RAPE: (3, 20)}),
        ("kent", "Kent 2024-25", date(2025, 3, 31), {OTHER_SEXUAL: (4, 20)}),
        ("kent", "Kent 2025-26", date(2026, 3, 31), {OTHER_SEXUAL: (1, 20)}),
    ]:
        audit = data.audit(code, name, period_end=end, categories=list(counts))
        for category, (incorrect, judged) in counts.items():
            data.reviews(audit, category, correct=judged - incorrect, incorrect=incorrect)
    data.publish_signed_off()


def _sign_in(page, base: str, destination: str) -> None:
    page.goto(f"{base}/sign-in/?next={destination}")
    page.get_by_label("Username").fill("lead")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{destination}")


def _trend_rows(page, category: str) -> list[list[str]]:
    table = page.locator(f"#trend-{category} table")
    return [row.locator("th, td").all_inner_texts() for row in table.locator("tbody tr").all()]


def _read_the_trend(page, base: str, screenshot) -> None:
    _sign_in(page, base, "/forces/northamptonshire/")
    other_sexual = _trend_rows(page, OTHER_SEXUAL)
    assert [row[:2] for row in other_sexual] == [
        ["Northamptonshire 2024-25", "29 of 71"],
        ["Northamptonshire 2025-26", "2 of 20"],
    ]
    assert other_sexual[1][3].endswith("improved")
    assert _trend_rows(page, RAPE)[1][3].endswith("no clear change")
    assert page.locator(f"#trend-{OTHER_SEXUAL} svg circle").count() == 2
    page.locator("#trends").scroll_into_view_if_needed()
    screenshot("1-force-trend")


def _read_the_trend_without_javascript(browser, base: str, cookies, screenshot_folder) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 900})
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(f"{base}/forces/northamptonshire/")
    assert _trend_rows(page, OTHER_SEXUAL)[1][3].endswith("improved")
    assert page.locator(f"#trend-{OTHER_SEXUAL} svg circle").count() == 2
    page.screenshot(path=str(screenshot_folder / "2-force-trend-without-javascript.png"), full_page=True)
    context.close()


def _compare_one_financial_year(page, base: str, screenshot) -> None:
    page.goto(f"{base}/national/")
    page.get_by_label("Audit period ending in").select_option("2024")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/national/?*period=2024*")
    kent = page.locator(".app-national-table tbody tr", has_text="Kent Police")
    assert "Kent 2024-25" in kent.inner_text()
    periods = [row.locator("th, td").all_inner_texts() for row in page.locator("#period-rates tbody tr").all()]
    assert [row[0] for row in periods] == ["April 2025 to March 2026", "April 2024 to March 2025 (shown)"]
    assert "33 of 91" in " ".join(periods[1])  # Northamptonshire 29 of 71 and Kent 4 of 20, pooled
    page.locator("#periods").scroll_into_view_if_needed()
    screenshot("3-national-2024-25")


def _plan_by_precision(page, base: str, screenshot) -> None:
    for number in range(30):
        DecisionFactory(
            crime_record__reference=f"NH/26/{number:05d}",
            crime_record__offence_category=OTHER_SEXUAL,
            decided_on=date(2026, 5, 1),
        )
    page.goto(f"{base}/audits/new/")
    page.get_by_label("Force").select_option(label="Northamptonshire Police")
    page.get_by_label("Audit name").fill("Northamptonshire 2026-27")
    page.get_by_label("First decision date").fill("01/04/2026")
    page.get_by_label("Last decision date").fill("30/06/2026")
    for category in OffenceCategory.audited():
        box = page.get_by_label(category.label, exact=True)
        if category == OTHER_SEXUAL:
            box.check()
        else:
            box.uncheck()
    page.get_by_role("button", name="Show margins of error").click()
    row = page.locator("#precision-table tbody tr").first.locator("th, td").all_inner_texts()
    assert row[:3] == ["Other sexual offences", "30", "20"]
    assert "as in Northamptonshire 2025-26" in row[3]
    assert row[4] == "0 of 20 still allows up to 16.1%"
    assert row[6] == "59"
    page.locator("#precision").scroll_into_view_if_needed()
    screenshot("4-planning-by-precision")


def test_a_supervisor_reads_trends_periods_and_plans_by_precision(live_server, browser, page, screenshot):
    base = live_server.url
    UserFactory(username="lead", role=Role.SUPERVISOR)
    _published_history()

    _read_the_trend(page, base, screenshot)
    folder = screenshot("1-force-trend").parent
    _read_the_trend_without_javascript(browser, base, page.context.cookies(), folder)
    _compare_one_financial_year(page, base, screenshot)
    _plan_by_precision(page, base, screenshot)

    assert page.problems == []
