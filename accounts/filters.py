import django_filters
from django import forms

from accounts.models import AccessAction, AccessRecord, User


class AccessRecordFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        # A start after the end is a slip, not a request for nothing: say so rather than show no rows.
        if start and end and start > end:
            self.add_error("date_to", "The end date must be on or after the start date")
        return cleaned


class AccessRecordFilter(django_filters.FilterSet):
    user = django_filters.ModelChoiceFilter(
        queryset=User.objects.order_by("username"), empty_label="Anyone", label="Who"
    )
    action = django_filters.ChoiceFilter(choices=AccessAction.choices, empty_label="Any action", label="Action")
    date_from = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="For example, 2026-04-01",
    )
    date_to = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__lte",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="For example, 2026-04-30",
    )

    class Meta:
        model = AccessRecord
        fields = ["user", "action", "date_from", "date_to"]
        form = AccessRecordFilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        form = self.form
        form.fields["user"].error_messages["invalid_choice"] = "Select a person from the list"
        form.fields["action"].error_messages["invalid_choice"] = "Select an action from the list"
        form.fields["date_from"].error_messages["invalid"] = "Enter the start date as year-month-day, e.g. 2026-04-01"
        form.fields["date_to"].error_messages["invalid"] = "Enter the end date as year-month-day, e.g. 2026-04-30"
