"""Planning by precision on the planning page: what each category's sample can show (issue acceptance 3)."""

import pytest
from django.urls import reverse

from reviews.models import Audit, OffenceCategory
from reviews.results.publishing import audit_publish
from reviews.workflow.planning import plan_precision
from tests.factories import force
from tests.reviews.results import summary_data as data
from tests.reviews.workflow.test_views import decisions, plan_form

pytestmark = pytest.mark.django_db

VIOLENCE = OffenceCategory.VIOLENCE


def _precision_row(html: str, label: str) -> str:
    table = html[html.index('id="precision-table"') : html.index("</table>", html.index('id="precision-table"'))]
    return next(row for row in table.split("<tr")[1:] if f">{label}</th>" in row)


def test_the_plan_page_says_what_each_sample_can_show_without_saving(client, supervisor):
    decisions(30)
    decisions(4, category=OffenceCategory.RAPE, prefix="RP")
    client.force_login(supervisor)

    response = client.post(
        reverse("audit_plan"),
        plan_form(categories=["violence", "rape"], size_violence="20", size_rape="20", action="margins"),
    )

    html = response.content.decode()
    violence = _precision_row(html, "Violence against the person")
    assert '<td class="govuk-table__cell app-numeric">30</td>' in violence
    assert "2 of 20 (10.0%, no published audit: 10% assumed) gives 2.8% to 30.1%" in violence
    assert "0 of 20 still allows up to 16.1%" in violence
    assert ">59<" in violence
    # A category with fewer decisions than the sample is taken whole, and the figures are for what is taken.
    rape = _precision_row(html, "Rape")
    assert "4 (taken whole)" in rape
    assert "0 of 4 still allows up to 49.0%" in rape
    assert Audit.objects.count() == 0


def test_the_rate_planned_for_is_the_forces_last_published_one(supervisor):
    earlier = data.audit("northamptonshire", "Northamptonshire 2025-26", categories=[VIOLENCE])
    data.reviews(earlier, VIOLENCE, correct=14, incorrect=6)
    audit_publish(audit=earlier, by=supervisor)

    [row] = plan_precision(
        force=force(),
        period_start=earlier.period_start,
        period_end=earlier.period_end,
        sizes={VIOLENCE: 20},
        margin=0.10,
        tolerable_rate=0.10,
    )

    assert (row.rate, row.rate_from) == (0.3, "Northamptonshire 2025-26")
    assert str(row.expected) == "6 of 20"
    assert row.attribute_size == 29
    # At 30%, a margin of 10 points either side needs a larger sample than 20.
    assert row.needed_for_margin > 20


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("margin", "0", "Enter a margin of at least 1 percentage point."),
        ("tolerable_rate", "80", "Enter a tolerable rate of at most 50%."),
        ("margin", "five", "Enter the margin as a whole number of percentage points."),
    ],
)
def test_a_bad_margin_or_tolerable_rate_is_explained_and_nothing_is_saved(client, supervisor, field, value, message):
    client.force_login(supervisor)

    response = client.post(reverse("audit_plan"), plan_form(**{field: value}, action="margins"))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'id="precision-table"' not in response.content.decode()
    assert Audit.objects.count() == 0
