"""The summary pages as each role sees them, their exports (acceptance 5), filters and sorting."""

import csv
import io
import re
from datetime import date
from html.parser import HTMLParser

import openpyxl
import pytest
from django.urls import reverse

from accounts.roles import Role
from reviews.models import IncorrectReason, OffenceCategory, ReviewStatus
from tests.factories import UserFactory
from tests.reviews.results import summary_data as data

pytestmark = pytest.mark.django_db

OTHER_SEXUAL = OffenceCategory.OTHER_SEXUAL
RAPE = OffenceCategory.RAPE
VIOLENCE = OffenceCategory.VIOLENCE


@pytest.fixture
def audits(db):
    northants = data.audit("northamptonshire", "Northamptonshire 2025-26", categories=[OTHER_SEXUAL, RAPE])
    data.reviews(northants, OTHER_SEXUAL, correct=18, incorrect=2, told=17, not_told=1, no_record=1)
    data.reviews(northants, RAPE, correct=17, told=5)
    in_progress = data.audit(
        "northamptonshire", "Northamptonshire 2026-27", signed_off=False, period_end=date(2027, 3, 31)
    )
    data.reviews(in_progress, OTHER_SEXUAL, incorrect=3, status=ReviewStatus.SUBMITTED)
    kent = data.audit("kent", "Kent 2025-26", categories=[VIOLENCE, RAPE])
    data.reviews(kent, VIOLENCE, correct=8, incorrect=9, told=12, not_told=4, reason=IncorrectReason.NOT_AUTHORISED)
    data.reviews(kent, RAPE, correct=3, incorrect=1)
    essex = data.audit("essex", "Essex 2025-26", categories=[OTHER_SEXUAL])
    data.reviews(essex, OTHER_SEXUAL, correct=30, incorrect=1)
    data.publish_signed_off()
    return {"northants": northants, "in_progress": in_progress, "kent": kent, "essex": essex}


def force_url(code, audit=None):
    if audit is None:
        return reverse("force_results", args=[code])
    return reverse("force_audit_results", args=[code, audit.pk])


# Access ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AUDITOR, Role.DATA_STEWARD])
def test_audit_staff_read_every_forces_results_and_the_national_comparison(client, audits, role):
    client.force_login(UserFactory(role=role))

    assert client.get(force_url("kent")).status_code == 200
    assert client.get(force_url("northamptonshire", audits["northants"])).status_code == 200
    national = client.get(reverse("national_comparison"))
    assert national.status_code == 200
    assert "National comparison" in national.content.decode()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.DATA_STEWARD])
def test_only_supervisors_may_include_work_in_progress(client, audits, role):
    client.force_login(UserFactory(role=role))

    page = client.get(force_url("northamptonshire"), {"in_progress": "1"}).content.decode()

    assert "Include work in progress" not in page
    assert "Includes work in progress" not in page
    assert "Northamptonshire 2026-27" not in page
    assert client.get(force_url("northamptonshire", audits["in_progress"])).status_code == 404


def test_a_force_contact_reads_their_own_forces_signed_off_results_only(client, audits, force_contact):
    client.force_login(force_contact)

    own = client.get(force_url("northamptonshire"), {"in_progress": "1"})
    assert own.status_code == 200
    assert "wrongly cancelled 1 in 10 other sexual offence records reviewed (2 of 20)" in own.content.decode()
    assert "Include work in progress" not in own.content.decode()
    assert client.get(force_url("kent")).status_code == 404
    assert client.get(force_url("kent", audits["kent"])).status_code == 404
    # Another force's audit under the viewer's own force is as unknown as any other number.
    assert client.get(force_url("northamptonshire", audits["kent"])).status_code == 404
    assert client.get(force_url("northamptonshire", audits["in_progress"])).status_code == 404


def test_the_national_comparison_sends_a_force_contact_to_their_own_force(client, audits, force_contact):
    client.force_login(force_contact)

    response = client.get(reverse("national_comparison"), {"_export": "csv"}, follow=True)

    assert response.redirect_chain == [(force_url("northamptonshire"), 302)]
    page = response.content.decode()
    assert "The national comparison is for audit staff" in page
    assert "Kent Police" not in page


def test_someone_without_a_role_sees_no_results(client, audits):
    client.force_login(UserFactory())

    assert client.get(force_url("northamptonshire")).status_code == 404
    assert client.get(reverse("national_comparison")).status_code == 403


def test_signed_out_visitors_are_asked_to_sign_in(client, audits):
    for url in [force_url("kent"), reverse("national_comparison"), reverse("force_audit_report", args=["kent", 1])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "path",
    [
        "/forces/atlantis/",
        "/forces/atlantis/audits/1/",
        "/forces/kent/audits/999999/",
        "/forces/kent/audits/99999999999999999999999999/",
        "/forces/kent/audits/999999/report/",
        "/national/?_export=json",
    ],
)
def test_unknown_forces_audits_and_formats_are_not_found(client, audits, supervisor, path):
    client.force_login(supervisor)

    assert client.get(path).status_code == 404


def test_navigation_offers_each_role_its_summaries(client, audits, supervisor, force_contact):
    client.force_login(supervisor)
    assert 'href="/national/"' in client.get(reverse("home")).content.decode()

    client.force_login(force_contact)
    page = client.get(reverse("home")).content.decode()
    assert "Your force&#x27;s results" in page
    assert 'href="/forces/northamptonshire/"' in page
    assert 'href="/national/"' not in page


def test_incorrect_decisions_link_to_their_review_for_supervisors_only(client, audits, supervisor, data_steward):
    review = audits["kent"].reviews.filter(decision_correct="no").order_by("decision__crime_record__reference")[0]
    review_link = reverse("review_detail", args=[review.pk])
    reference = review.decision.crime_record.reference

    client.force_login(supervisor)
    assert f'href="{review_link}"' in client.get(force_url("kent")).content.decode()
    assert client.get(review_link).status_code == 200

    client.force_login(data_steward)
    page = client.get(force_url("kent")).content.decode()
    assert reference in page
    assert review_link not in page


# Force pages ---------------------------------------------------------------------------------------------


def test_a_force_never_audited_reads_not_audited_not_zero(client, supervisor, audits):
    client.force_login(supervisor)

    page = client.get(force_url("cumbria")).content.decode()

    assert "Cumbria Constabulary: not audited." in page
    assert "0.0%" not in page


def test_the_printable_report_holds_the_headline_tables_and_chart(client, supervisor, audits):
    client.force_login(supervisor)

    response = client.get(reverse("force_audit_report", args=["northamptonshire", audits["northants"].pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Northamptonshire Police wrongly cancelled 1 in 10 other sexual offence records reviewed (2 of 20)." in page
    assert 'id="category-results"' in page
    assert "<svg" in page
    assert 'class="govuk-table app-chart__table"' in page
    assert "Signed-off audits only." in page


def test_the_force_chart_marks_each_category_against_its_national_rate(client, supervisor, audits):
    client.force_login(supervisor)

    response = client.get(force_url("kent"))

    chart = response.context["chart"]
    rows = {row.label: row for row in chart.rows}
    assert set(rows) == {"Rape", "Violence against the person"}
    assert str(rows["Rape"].national) == "1 of 21"  # pooled: Northamptonshire 0 of 17, Kent 1 of 4
    assert rows["Violence against the person"].x_lower < rows["Violence against the person"].x
    assert "Figures in the chart" in response.content.decode()


# National page ------------------------------------------------------------------------------------------


class TableReader(HTMLParser):
    """The text of each cell of the HTML table with `css_class`, row by row."""

    def __init__(self, css_class):
        super().__init__()
        self.css_class, self.inside, self.rows, self.cell = css_class, False, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and self.css_class in (attrs.get("class") or ""):
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in {"td", "th"}:
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in {"td", "th"} and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, text):
        if self.cell is not None:
            self.cell.append(text)


def page_table(response) -> list[dict[str, str]]:
    reader = TableReader("app-national-table")
    reader.feed(response.content.decode())
    headers, *rows = reader.rows
    headers = [re.sub(r", sort (ascending|descending)$", "", header) for header in headers]
    return [dict(zip(headers, row, strict=True)) for row in rows]


NATIONAL_ROW = "England and Wales: national rate, pooled"


def csv_rows(response) -> list[dict[str, str]]:
    """Every row of a CSV export, the national rate last."""
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def xlsx_rows(response) -> list[dict[str, object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    headers, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(headers, row, strict=True)) for row in rows]


def csv_table(response) -> list[dict[str, str]]:
    """The forces' rows of a CSV export."""
    *forces, national = csv_rows(response)
    assert national["Force"] == NATIONAL_ROW
    return forces


def xlsx_table(response) -> list[dict[str, object]]:
    *forces, national = xlsx_rows(response)
    assert national["Force"] == NATIONAL_ROW
    return forces


def assert_export_matches_page(page_rows, export_rows, categories):
    assert [row["Force"] for row in export_rows] == [row["Force"] for row in page_rows]
    for shown, exported in zip(page_rows, export_rows, strict=True):
        assert str(exported["Victims not told"]) == shown["Victims not told"]
        for category in categories:
            label = category.label
            cell = shown[label]
            if cell == "not audited" or cell.startswith("none judged"):
                # Numeric cells stay empty; the status column says why.
                assert exported[f"{label}: incorrect %"] in ("", None)
                assert exported[f"{label}: status"] in (cell.split(" (")[0], "not sampled")
                continue
            assert exported[f"{label}: status"] in ("", None)
            rate, lower, upper, incorrect, judged = re.fullmatch(
                r"([\d.]+)% \(([\d.]+)% to ([\d.]+)%\) (\d+) of (\d+) incorrect", cell
            ).groups()
            assert f"{float(exported[f'{label}: incorrect %']):.1f}" == rate
            assert f"{float(exported[f'{label}: interval from %']):.1f}" == lower
            assert f"{float(exported[f'{label}: interval to %']):.1f}" == upper
            assert int(exported[f"{label}: incorrect"]) == int(incorrect)
            assert int(exported[f"{label}: judged"]) == int(judged)


@pytest.mark.parametrize(
    "params",
    [{}, {"sort": "-other_sexual"}, {"region": "South East", "sort": "violence"}, {"category": "rape"}],
)
def test_csv_and_xlsx_exports_hold_the_pages_figures_number_for_number(client, supervisor, audits, params):
    client.force_login(supervisor)
    page_rows = page_table(client.get(reverse("national_comparison"), params))
    categories = [OffenceCategory(params["category"])] if "category" in params else OffenceCategory.audited()

    exported_csv = client.get(reverse("national_comparison"), {**params, "_export": "csv"})
    exported_xlsx = client.get(reverse("national_comparison"), {**params, "_export": "xlsx"})

    assert exported_csv["Content-Type"].startswith("text/csv")
    assert "national-comparison-" in exported_csv["Content-Disposition"]
    assert_export_matches_page(page_rows, csv_table(exported_csv), categories)
    assert_export_matches_page(page_rows, xlsx_table(exported_xlsx), categories)


def test_the_exported_figures_are_the_published_ones(client, supervisor, audits):
    client.force_login(supervisor)

    rows = {row["Force"]: row for row in csv_table(client.get(reverse("national_comparison"), {"_export": "csv"}))}

    northants = rows["Northamptonshire Police"]
    assert (northants["Other sexual offences: incorrect %"], northants["Other sexual offences: interval from %"]) == (
        "10.0",
        "2.8",
    )
    assert northants["Other sexual offences: interval to %"] == "30.1"
    assert northants["Victims not told"] == "2 of 24"
    assert northants["Figures"] == "Signed-off audits only"
    assert rows["Cumbria Constabulary"]["Rape: incorrect %"] == ""
    assert rows["Cumbria Constabulary"]["Rape: status"] == "not audited"
    assert rows["Cumbria Constabulary"]["Victims not told: number"] == ""
    assert rows["Cumbria Constabulary"]["Victims: status"] == "not audited"
    assert rows["Essex Police"]["Rape: status"] == "not sampled"
    assert rows["Cumbria Constabulary"]["Latest audit"] == "not audited"
    assert len(rows) == 43


def test_work_in_progress_is_labelled_in_the_export(client, supervisor, audits):
    client.force_login(supervisor)

    response = client.get(reverse("national_comparison"), {"_export": "csv", "in_progress": "1"})

    rows = {row["Force"]: row for row in csv_table(response)}
    assert "including-work-in-progress" in response["Content-Disposition"]
    assert rows["Northamptonshire Police"]["Figures"] == "Includes work in progress"
    assert rows["Northamptonshire Police"]["Latest audit"] == "Northamptonshire 2026-27"
    assert rows["Northamptonshire Police"]["Other sexual offences: incorrect %"] == "100.0"


def test_formula_like_cells_are_exported_as_text(client, supervisor):
    data.reviews(data.audit("kent", '=HYPERLINK("http://example.org","Kent")'), RAPE, correct=1)
    data.publish_signed_off()
    client.force_login(supervisor)

    for export_format, read in [("csv", csv_table), ("xlsx", xlsx_table)]:
        rows = {
            row["Force"]: row for row in read(client.get(reverse("national_comparison"), {"_export": export_format}))
        }
        assert rows["Kent Police"]["Latest audit"] == '\'=HYPERLINK("http://example.org","Kent")'


def test_sorting_by_a_category_puts_forces_not_audited_in_it_last_either_way(client, supervisor, audits):
    client.force_login(supervisor)

    for sort, expected in [
        ("-other_sexual", ["Northamptonshire Police", "Essex Police"]),
        ("other_sexual", ["Essex Police", "Northamptonshire Police"]),
    ]:
        rows = page_table(client.get(reverse("national_comparison"), {"sort": sort}))
        assert [row["Force"] for row in rows[:2]] == expected
        assert {row["Other sexual offences"] for row in rows[2:]} == {"not audited"}


def test_filters_choose_the_region_and_category(client, supervisor, audits):
    client.force_login(supervisor)

    rows = page_table(client.get(reverse("national_comparison"), {"region": "South East", "category": "violence"}))

    assert {row["Region"] for row in rows} == {"South East"}
    assert "Kent Police" in {row["Force"] for row in rows}
    assert "Rape" not in rows[0]
    kent = next(row for row in rows if row["Force"] == "Kent Police")
    assert kent["Violence against the person"].startswith("52.9% (31.0% to 73.8%)")
    assert kent["Victims not told"] == "4 of 16"


def test_a_bad_filter_value_is_explained_not_a_failure(client, supervisor, audits):
    client.force_login(supervisor)

    response = client.get(reverse("national_comparison"), {"region": "Atlantis", "period": "1066"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Select a valid choice" in page


def test_the_national_charts_put_each_force_against_the_national_rate(client, supervisor, audits):
    client.force_login(supervisor)

    response = client.get(reverse("national_comparison"))

    charts = dict(response.context["charts"])
    other_sexual = charts[OTHER_SEXUAL]
    assert [row.label for row in other_sexual.rows] == ["Northamptonshire Police", "Essex Police"]
    assert str(other_sexual.national) == "3 of 51"
    assert [row.compared for row in other_sexual.rows] == ["no clear difference", "no clear difference"]
    page = response.content.decode()
    assert page.count('class="govuk-table app-chart__table"') == 3
    assert page.count("No audited decisions to show.") == 1  # no force was audited for robbery


def test_the_period_filter_compares_audits_of_that_financial_year(client, supervisor, audits):
    cumbria = data.audit("cumbria", "Cumbria 2024-25", period_end=date(2025, 3, 31), categories=[RAPE])
    data.reviews(cumbria, RAPE, correct=9, incorrect=1)
    data.publish_signed_off()
    client.force_login(supervisor)

    response = client.get(reverse("national_comparison"), {"period": "2024"})

    rows = {row["Force"]: row for row in page_table(response)}
    assert rows["Cumbria Constabulary"]["Latest audit"].startswith("Cumbria 2024-25 signed off 1 Jun 2026")
    assert rows["Cumbria Constabulary"]["Rape"].startswith("10.0%")
    assert rows["Kent Police"]["Latest audit"] == "not audited"
    assert "with a period ending between 1 April 2024 and 31 March 2025" in response.content.decode()


def test_the_spreadsheet_holds_numbers_as_numbers(client, supervisor, audits):
    client.force_login(supervisor)

    rows = {row["Force"]: row for row in xlsx_table(client.get(reverse("national_comparison"), {"_export": "xlsx"}))}

    northants = rows["Northamptonshire Police"]
    assert northants["Other sexual offences: incorrect %"] == 10.0
    assert northants["Other sexual offences: interval to %"] == 30.1
    assert northants["Other sexual offences: incorrect"] == 2
    assert northants["Victims not told: number"] == 2


def test_the_exports_end_with_the_national_rates_the_page_shows(client, supervisor, audits):
    client.force_login(supervisor)
    page = client.get(reverse("national_comparison"))
    reader = TableReader("app-national-rates")
    reader.feed(page.content.decode())
    shown = {category: (incorrect, rate) for category, incorrect, rate in reader.rows[1:]}

    for read in (csv_rows, xlsx_rows):
        national = read(client.get(reverse("national_comparison"), {"_export": "csv" if read is csv_rows else "xlsx"}))[
            -1
        ]
        for category in OffenceCategory.audited():
            incorrect, rate = shown[category.label]
            if rate == "not audited":
                assert national[f"{category.label}: incorrect %"] in ("", None)
                assert national[f"{category.label}: status"] == "not audited"
                continue
            exported = (
                f"{float(national[f'{category.label}: incorrect %']):.1f}% "
                f"({float(national[f'{category.label}: interval from %']):.1f}% to "
                f"{float(national[f'{category.label}: interval to %']):.1f}%)"
            )
            assert exported == rate
            assert f"{national[f'{category.label}: incorrect']} of {national[f'{category.label}: judged']}" == incorrect
    assert shown["Other sexual offences"] == ("3 of 51", "5.9% (2.0% to 15.9%)")


def test_a_category_reviewed_but_never_judged_has_no_rate_and_says_why(client, supervisor):
    data.reviews(data.audit("kent", "Kent 2025-26", categories=[RAPE]), RAPE, cannot_tell=3)
    data.publish_signed_off()
    client.force_login(supervisor)

    shown = {row["Force"]: row for row in page_table(client.get(reverse("national_comparison")))}
    exported = {row["Force"]: row for row in csv_table(client.get(reverse("national_comparison"), {"_export": "csv"}))}

    assert shown["Kent Police"]["Rape"] == "none judged (3 cannot tell)"
    assert exported["Kent Police"]["Rape: incorrect %"] == ""
    assert exported["Kent Police"]["Rape: status"] == "none judged"
    assert exported["Kent Police"]["Rape: cannot tell"] == "3"
    assert shown["Essex Police"]["Rape"] == "not audited"


def test_a_force_name_cut_short_in_a_chart_keeps_its_full_name_and_empty_shares_never_read_0_of_0(
    client, supervisor, audits
):
    hampshire = data.audit("hampshire", "Hampshire 2025-26", categories=[RAPE])
    # Every victim was told or did not need telling, and no decision was judged in criterion C5.
    data.reviews(hampshire, RAPE, correct=4, incorrect=1, told=5)
    data.publish_signed_off()
    client.force_login(supervisor)

    national = client.get(reverse("national_comparison")).content.decode()
    force_page = client.get(reverse("force_results", args=["hampshire"])).content.decode()

    full_name = "Hampshire and Isle of Wight Constabulary"
    assert "Hampshire and Isle of Wight Const…" in national
    assert f"<title>{full_name}</title>Hampshire and Isle of Wight Const…" in national
    assert "0 of 0" not in national
    assert "0 of 0" not in force_page
