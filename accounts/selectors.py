from django.db.models import QuerySet

from accounts.models import AccessRecord


def access_record_list() -> QuerySet[AccessRecord]:
    """Every access record, newest first, each with its user in the same query."""
    return AccessRecord.objects.select_related("user").order_by("-at", "-id")
