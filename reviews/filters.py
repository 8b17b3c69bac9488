import django_filters

from reviews.models import Audit, Disagreement, OffenceCategory, Review, ReviewStatus


def _assigned_audits(request):
    """The audits with reviews assigned to the signed-in auditor, for the queue's audit filter."""
    if request is None:
        return Audit.objects.none()
    user = request.user
    return (
        Audit.objects.visible_to(user)
        .filter(pk__in=Review.objects.for_auditor(user).values("audit"))
        .select_related("force")
        .order_by("-period_end", "name")
    )


def category_filter() -> django_filters.ChoiceFilter:
    """Narrow a list of reviews or disagreements to one offence category."""
    return django_filters.ChoiceFilter(
        label="Offence category",
        field_name="decision__crime_record__offence_category",
        choices=OffenceCategory.choices,
        empty_label="All categories",
    )


class ReviewQueueFilter(django_filters.FilterSet):
    """The auditor's queue, narrowed by audit, offence category and status."""

    audit = django_filters.ModelChoiceFilter(queryset=_assigned_audits, empty_label="All audits")
    category = category_filter()
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices, empty_label="All statuses")

    class Meta:
        model = Review
        fields = ["audit", "category", "status"]


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
