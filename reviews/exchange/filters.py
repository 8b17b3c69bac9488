"""What a download may be narrowed to: force, audit, dates. Every choice is scoped to what the user may see."""

import django_filters

from forces.models import Force
from reviews.models import (
    Audit,
    CancellationDecision,
    Criterion,
    OffenceCategory,
    Review,
)


class ForceFilter(django_filters.CharFilter):
    """`?force=` takes a force's code, name or former name, as the imports do."""

    def filter(self, queryset, value):
        if not value:
            return queryset
        return queryset.filter(**{f"{self.field_name}__in": Force.objects.matching(value).values("pk")})


class DecisionExportFilter(django_filters.FilterSet):
    force = ForceFilter(field_name="force")
    offence_category = django_filters.ChoiceFilter(
        field_name="crime_record__offence_category", choices=OffenceCategory.choices
    )
    criterion = django_filters.ChoiceFilter(choices=Criterion.choices)
    decided_from = django_filters.DateFilter(field_name="decided_on", lookup_expr="gte")
    decided_to = django_filters.DateFilter(field_name="decided_on", lookup_expr="lte")

    class Meta:
        model = CancellationDecision
        fields = []


class AuditScopedFilter(django_filters.FilterSet):
    """`?audit=ID` among the audits the user may see (another id is an error, which the view makes a 404)."""

    force = ForceFilter(field_name="audit__force")
    audit = django_filters.ModelChoiceFilter(queryset=lambda request: Audit.objects.visible_to(request.user))

    class Meta:
        model = Review
        fields = []
