"""The actions list's filters: force, audit, kind, status and overdue."""

import django_filters
from django.utils import timezone

from forces.models import Force
from reviews.models import Action, ActionKind, ActionStatus, Audit
from reviews.permissions import forces_visible_to


def _forces(request):
    if request is None:
        return Force.objects.none()
    return forces_visible_to(request.user).filter(audits__actions__isnull=False).distinct().order_by("name")


def _audits(request):
    if request is None:
        return Audit.objects.none()
    visible = Action.objects.visible_to(request.user).values("audit_id")
    return Audit.objects.filter(pk__in=visible).select_related("force").order_by("-period_end", "name")


class ActionFilter(django_filters.FilterSet):
    force = django_filters.ModelChoiceFilter(
        label="Force", field_name="audit__force", queryset=_forces, empty_label="All forces", to_field_name="code"
    )
    audit = django_filters.ModelChoiceFilter(queryset=_audits, empty_label="All audits")
    kind = django_filters.ChoiceFilter(label="Action", choices=ActionKind.choices, empty_label="All actions")
    status = django_filters.ChoiceFilter(choices=ActionStatus.choices, empty_label="All statuses")
    overdue = django_filters.ChoiceFilter(
        label="Overdue",
        choices=[("yes", "Overdue only"), ("no", "Not overdue")],
        empty_label="All",
        method="filter_overdue",
    )

    class Meta:
        model = Action
        fields = ["force", "audit", "kind", "status", "overdue"]

    def filter_overdue(self, queryset, name, value):
        overdue = Action.objects.overdue(timezone.localdate()).values("pk")
        return queryset.filter(pk__in=overdue) if value == "yes" else queryset.exclude(pk__in=overdue)
