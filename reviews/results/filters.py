"""The national comparison's filters: financial year, region, offence category, work in progress."""

from datetime import date

import django_filters
from django.utils import timezone

from forces.models import Force
from reviews.models import OffenceCategory

FIRST_FINANCIAL_YEAR = 2014  # HMICFRS's crime data integrity inspections began in 2014.


def financial_years(today: date | None = None) -> list[tuple[str, str]]:
    """Financial years (April to March) from the first inspections to the current one, latest first."""
    today = today or timezone.localdate()
    current = today.year if today.month >= 4 else today.year - 1
    return [(str(year), f"April {year} to March {year + 1}") for year in range(current, FIRST_FINANCIAL_YEAR - 1, -1)]


def _keep(queryset, name, value):
    # Period and category choose which audits and columns the comparison counts, not which forces are listed.
    return queryset


class NationalFilter(django_filters.FilterSet):
    region = django_filters.AllValuesFilter(field_name="region", empty_label="All regions")
    period = django_filters.ChoiceFilter(
        choices=[], method=_keep, label="Audit period ending in", empty_label="Any period"
    )
    category = django_filters.ChoiceFilter(
        choices=[(str(category), category.label) for category in OffenceCategory.audited()],
        method=_keep,
        label="Offence category",
        empty_label="All audited categories",
    )

    class Meta:
        model = Force
        fields = ["region"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Worked out per request: a new financial year starts every April.
        self.filters["period"].extra["choices"] = financial_years()

    @property
    def period_range(self) -> tuple[date, date] | None:
        year = self.form.cleaned_data.get("period") if self.is_valid() else None
        return (date(int(year), 4, 1), date(int(year) + 1, 3, 31)) if year else None

    @property
    def chosen_categories(self) -> list[str] | None:
        category = self.form.cleaned_data.get("category") if self.is_valid() else None
        return [category] if category else None
