from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone

from accounts.models import AccessAction, AccessRecord, User


class AccessRecordFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        # A start after the end is a slip, not a request for nothing: say so rather than show no rows.
        if start and end and start > end:
            self.add_error("date_to", "The end date must be on or after the start date")
        return cleaned


def date_filter(label: str, example: str, method: str) -> django_filters.DateFilter:
    return django_filters.DateFilter(
        label=label, method=method, widget=forms.DateInput(attrs={"type": "date"}), help_text=f"For example, {example}"
    )


def start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the service's time zone (UK time)."""
    return timezone.make_aware(datetime.combine(day, time.min))


class AccessRecordFilter(django_filters.FilterSet):
    user = django_filters.ModelChoiceFilter(
        queryset=User.objects.order_by("username"), empty_label="Anyone", label="Who"
    )
    action = django_filters.ChoiceFilter(choices=AccessAction.choices, empty_label="Any action", label="Action")
    date_from = date_filter("From", "2026-04-01", method="filter_from")
    date_to = date_filter("To", "2026-04-30", method="filter_to")

    class Meta:
        model = AccessRecord
        fields = ["user", "action", "date_from", "date_to"]
        form = AccessRecordFilterForm

    # Whole days in UK time, as ranges on the indexed time column rather than a date cast of every row.
    def filter_from(self, queryset, name, value: date):
        return queryset.filter(at__gte=start_of(value))

    def filter_to(self, queryset, name, value: date):
        return queryset.filter(at__lt=start_of(value + timedelta(days=1)))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        form = self.form
        form.fields["user"].error_messages["invalid_choice"] = "Select a person from the list"
        form.fields["action"].error_messages["invalid_choice"] = "Select an action from the list"
        form.fields["date_from"].error_messages["invalid"] = "Enter the start date as year-month-day, e.g. 2026-04-01"
        form.fields["date_to"].error_messages["invalid"] = "Enter the end date as year-month-day, e.g. 2026-04-30"
