"""The review queue's filters, and the offence category filter other lists share."""

import django_filters

from reviews.models import Audit, OffenceCategory, Review, ReviewStatus


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
