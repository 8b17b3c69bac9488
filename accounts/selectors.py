from django.db.models import QuerySet

from accounts.models import AccessRecord
from accounts.roles import Role


def may_read_access_records(user) -> bool:
    """Supervisors and data stewards read access records; nobody else does."""
    return user.is_authenticated and (user.is_superuser or bool(user.roles & {Role.SUPERVISOR, Role.DATA_STEWARD}))


def access_record_list() -> QuerySet[AccessRecord]:
    """Every access record, newest first, each with its user in the same query."""
    return AccessRecord.objects.select_related("user").order_by("-at", "-id")
