from collections.abc import Mapping
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest, QueryDict

from accounts.models import AccessAction, AccessRecord
from accounts.network import client_ip

# Query-string keys that move around a list rather than narrow it: not part of what was exported.
NOT_FILTERS = frozenset({"page", "per_page", "sort", "_export", "csrfmiddlewaretoken"})


def filters_from_query(query: QueryDict) -> dict[str, str | list[str]]:
    """The filters a list was narrowed by, from its query string, as JSON-ready values (empty ones left out)."""
    filters: dict[str, str | list[str]] = {}
    for key in sorted(query.keys()):
        if key in NOT_FILTERS:
            continue
        values = [value for value in query.getlist(key) if value != ""]
        if values:
            filters[key] = values[0] if len(values) == 1 else values
    return filters


def access_record(
    *,
    user,
    action: AccessAction,
    request: HttpRequest | None = None,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_label: str = "",
    details: Mapping[str, Any] | None = None,
    username: str = "",
) -> AccessRecord:
    """Add an access record: `user` did `action` to `target` (or the object named by type, id and label).

    `request` supplies the client's address. `details` holds what else matters for the action, e.g.
    `{"table": ..., "filters": filters_from_query(request.GET), "row_count": ...}` for an export and
    `{"file_name": ..., "file_size": ..., "row_count": ...}` for an import. `user` may be None only with
    `username` (a lockout of a name that belongs to no one). Raises ValidationError on an unknown action.
    """
    if target is not None:
        object_type = object_type or target._meta.model_name
        object_id = object_id or target.pk
        object_label = object_label or str(target)
    record = AccessRecord(
        user=user,
        username=(user.get_username() if user is not None else username)[:150],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_label=object_label[:255],
        details=dict(details or {}),
        ip_address=client_ip(request) if request is not None else None,
    )
    # The fields' own checks (an unknown action is refused here); the user is the object in hand, and the
    # database checks the constraints as the row goes in, so no query is spent looking either up first.
    record.full_clean(exclude=["user"], validate_constraints=False)
    with transaction.atomic():
        record.save()
    return record
