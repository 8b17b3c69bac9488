"""Who may change whose account: every rule the user administration asks, in one place.

Data stewards manage the people who do the audit work; superusers manage the data stewards and each other.
The line is drawn so that no one can raise their own access, directly or through someone else's account:

* Nobody changes their own roles, staff, superuser or active status, or their own permissions: a change of
  access always has a second person behind it, and no one locks themselves out by mistake.
* A data steward grants and removes the work roles (auditor, supervisor, force contact). Only a superuser grants
  or removes the Data steward role, superuser or staff status (a data steward's entry to the administration
  pages) or a person's own permissions: each of these reaches the user administration itself, so handing it
  out from inside would let any data steward multiply their own kind.
* A data steward edits only accounts that hold no more than a data steward can give: not a superuser, not
  staff, no role outside the work roles and no permissions of their own. Anyone else's account (another data
  steward's, a superuser's) is theirs to read, not to change, or they could take it over with a new email
  address or a set-password link. Their own account they may edit, apart from its access.
* Nobody but a superuser types a password for someone else. A data steward gives a new or locked-out person
  a one-time set-password link instead: issuing it switches the old password off, so the person learns of it,
  and the person's history records who issued it.

Superusers are treated alike everywhere: `is_superuser` here means an active superuser, as Django's own
permission checks read it.
"""

from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import Role

# The roles a data steward gives and takes away: those of the audit work, not of the administration.
STEWARD_GRANTED_ROLES = frozenset({Role.AUDITOR, Role.SUPERVISOR, Role.FORCE_CONTACT})


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
    """Whether `actor` may change anything on `person`'s account (each field has its own rule below)."""
    if is_superuser(actor):
        return True
    if not manages_accounts(actor):
        return False
    return person.pk == actor.pk or holds_only_steward_granted_access(person)


def may_change_roles(actor, person: User) -> bool:
    """Whether `actor` may change `person`'s roles at all: never their own; which roles, `may_grant` says."""
    return person.pk != actor.pk and may_edit_account(actor, person)


def may_grant(actor, group: Group) -> bool:
    """Whether `actor` may give `group` to someone, or take it away: a data steward the work roles only."""
    return is_superuser(actor) or group.name in STEWARD_GRANTED_ROLES


def may_change_access(actor, person: User) -> bool:
    """Whether `actor` may change `person`'s staff or superuser status or own permissions: a superuser, for
    someone else."""
    return is_superuser(actor) and person.pk != actor.pk


def may_switch_on_or_off(actor, person: User) -> bool:
    """Whether `actor` may switch `person`'s account off (or back on): anyone they may edit but themselves."""
    return person.pk != actor.pk and may_edit_account(actor, person)


def may_set_password(actor, person: User) -> bool:
    """Whether `actor` may type a new password for `person` (the administration's password form): a superuser."""
    return is_superuser(actor)


def may_issue_password_link(actor, person: User) -> bool:
    """Whether `actor` may issue a one-time set-password link for `person`: anyone who may edit the account,
    for someone else (a person changes their own password knowing the old one)."""
    return person.pk != actor.pk and may_edit_account(actor, person)


def may_read_access_records(user) -> bool:
    """Supervisors and data stewards read access records; nobody else does."""
    return user.is_authenticated and (user.is_superuser or bool(user.roles & {Role.SUPERVISOR, Role.DATA_STEWARD}))
