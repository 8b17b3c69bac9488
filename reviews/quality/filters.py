"""The disagreements list's filters."""

import django_filters

from reviews.models import Audit, Disagreement
from reviews.workflow.filters import category_filter


def _supervised_audits(request):
    if request is None:
        return Audit.objects.none()
    return Audit.objects.visible_to(request.user).select_related("force").order_by("-period_end", "name")


class DisagreementFilter(django_filters.FilterSet):
    """The supervisor's disagreements, narrowed by audit, offence category and whether they are resolved."""

    audit = django_filters.ModelChoiceFilter(queryset=_supervised_audits, empty_label="All audits")
    category = category_filter()
    resolved = django_filters.ChoiceFilter(
        label="Status",
        choices=[("no", "Waiting for a final verdict"), ("yes", "Resolved")],
        empty_label="All",
        method="filter_resolved",
    )

    class Meta:
        model = Disagreement
        fields = ["audit", "category", "resolved"]

    def filter_resolved(self, queryset, name, value):
        return queryset.resolved() if value == "yes" else queryset.unresolved()
