"""The disagreements list's filters."""

import django_filters

from reviews.models import Audit, Disagreement, DisagreementState
from reviews.workflow.filters import category_filter


def _supervised_audits(request):
    if request is None:
        return Audit.objects.none()
    return Audit.objects.visible_to(request.user).select_related("force").order_by("-period_end", "name")


class DisagreementFilter(django_filters.FilterSet):
    """The supervisor's disagreements, narrowed by audit, offence category and state: open (waiting for a final
    verdict), settled (with one) or closed (the reviews came to agree after a return)."""

    audit = django_filters.ModelChoiceFilter(queryset=_supervised_audits, empty_label="All audits")
    category = category_filter()
    status = django_filters.ChoiceFilter(
        label="Status", choices=DisagreementState.choices, empty_label="All", method="filter_status"
    )

    class Meta:
        model = Disagreement
        fields = ["audit", "category", "status"]

    def filter_status(self, queryset, name, value):
        return {
            DisagreementState.OPEN: queryset.unresolved,
            DisagreementState.SETTLED: queryset.resolved,
            DisagreementState.CLOSED: queryset.closed,
        }[value]()
