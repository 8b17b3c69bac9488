from django.db.models import Count, Q, QuerySet

from reviews.models import Audit, ReviewKind, ReviewStatus


def audit_list(*, user) -> QuerySet[Audit]:
    """Audits `user` may see, newest period first, each with its force and review progress counted in SQL:
    `primary_reviews` sampled items and `finished_reviews` of them submitted or approved."""
    primary = Q(reviews__kind=ReviewKind.PRIMARY)
    return (
        Audit.objects.visible_to(user)
        .select_related("force")
        .annotate(
            primary_reviews=Count("reviews", filter=primary),
            finished_reviews=Count("reviews", filter=primary & Q(reviews__status__in=ReviewStatus.finished())),
        )
        .order_by("-period_end", "force__name", "name")
    )
