from collections.abc import Mapping
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import AccessAction, AccessRecord, PasswordChange, User
from accounts.network import client_ip
from accounts.permissions import may_issue_password_link

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


def user_set_password_link(*, user: User, by: User) -> str:
    """Switch `user`'s password off and return the path of a one-time link at which they choose a new one.

    The link carries one of Django's password-reset tokens, which is made from the password it was issued
    with: it stops working once the person has chosen a password through it, when another link is issued, or
    after PASSWORD_RESET_TIMEOUT. Switching the old password off means the person notices if someone else
    used the link, and that an old password or link in the wrong hands stops working. The person's history
    records that `by` issued a link, never the link itself. Raises PermissionDenied if `by` may not
    (accounts.permissions.may_issue_password_link).
    """
    if not may_issue_password_link(by, user):
        raise PermissionDenied("You may not issue a set-password link for this person.")
    user.set_unusable_password()
    user._history_user = by
    user._change_reason = PasswordChange.LINK_ISSUED
    user.full_clean()
    with transaction.atomic():
        user.save()
    del user._change_reason
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse(
        "password_reset_confirm", kwargs={"uidb64": uidb64, "token": default_token_generator.make_token(user)}
    )


def user_set_password(*, user: User, password: str, by: User) -> User:
    """Give `user` the password they chose (already checked against the password validators); `by` is who
    set it, for the person's history (the person themselves, through a set-password link)."""
    user.set_password(password)
    user._history_user = by
    user.full_clean()
    with transaction.atomic():
        user.save()
    return user
