"""Who may change whose account: every rule the user administration asks, in one place.

Data stewards manage the people who do the audit work; superusers manage the data stewards and each other.

* A data steward edits only accounts that hold no more than a data steward can give: not a superuser, not
  staff, no role outside the work roles and no permissions of their own. Anyone else's account (another data
  steward's, a superuser's) is theirs to read, not to change, or they could take it over with a new email
  address or a set-password link.
* A data steward gives a new or locked-out person a one-time set-password link: issuing it switches the old
  password off, so the person learns of it, and the person's history records who issued it.

Superusers are treated alike everywhere: `is_superuser` here means an active superuser, as Django's own
permission checks read it.
"""

from accounts.models import User
from accounts.roles import Role

# The roles a data steward gives and takes away: those of the audit work, not of the administration.
STEWARD_GRANTED_ROLES = frozenset({Role.AUDITOR, Role.SUPERVISOR, Role.FORCE_VIEWER})


def is_superuser(user) -> bool:
    return user.is_active and user.is_superuser


def manages_accounts(user) -> bool:
    """A data steward or a superuser: anyone who may change accounts at all."""
    return user.is_active and user.has_perm("accounts.change_user")


def holds_only_steward_granted_access(person: User) -> bool:
    """Whether `person` holds nothing a data steward could not have given them. Reads the groups and own
    permissions through `.all()`, so an admin queryset that prefetches them asks no further query."""
    if person.pk is None:
        return True
    if person.is_superuser or person.is_staff:
        return False
    if person.user_permissions.all():
        return False
    return all(group.name in STEWARD_GRANTED_ROLES for group in person.groups.all())


def may_edit_account(actor, person: User) -> bool:
    """Whether `actor` may change anything on `person`'s account."""
    if is_superuser(actor):
        return True
    if not manages_accounts(actor):
        return False
    return person.pk == actor.pk or holds_only_steward_granted_access(person)


def may_issue_password_link(actor, person: User) -> bool:
    """Whether `actor` may issue a one-time set-password link for `person`: anyone who may edit the account,
    for someone else (a person changes their own password knowing the old one)."""
    return person.pk != actor.pk and may_edit_account(actor, person)
