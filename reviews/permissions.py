"""Every "may this person do X to Y" rule of the application, and the view mixins built on them.

Roles are Django groups (`accounts.roles.Role`). A superuser holds every role. Views, selectors, querysets,
exports, templates (through the `may` context variable) and the navigation ask these functions; nothing else
looks at a person's groups. This module imports no model of the app, so every layer may use it.
"""

from django.conf import settings
from django.contrib.auth.mixins import UserPassesTestMixin
from django.db.models import QuerySet

from accounts.roles import Role
from forces.models import Force

AUDIT_STAFF = frozenset({Role.AUDITOR, Role.SUPERVISOR, Role.DATA_STEWARD})


def has_role(user, *roles: str) -> bool:
    """Whether `user` is signed in and holds one of `roles` (a superuser holds them all)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(user.roles & set(roles))


def can_supervise(user) -> bool:
    """Plan audits, assign, return and approve reviews, sign off, settle disagreements, read work in progress."""
    return has_role(user, Role.SUPERVISOR)


def can_review(user) -> bool:
    """Review the decisions assigned to them."""
    return has_role(user, Role.AUDITOR)


def is_audit_staff(user) -> bool:
    """Auditors, supervisors and data stewards: they read every force's decisions and results."""
    return has_role(user, *AUDIT_STAFF)


def is_force_contact(user) -> bool:
    """A force contact tied to a force, and nothing more: they read their own force's signed-off results and
    record what was done for its actions."""
    return not is_audit_staff(user) and has_role(user, Role.FORCE_CONTACT) and user.force_id is not None


def may_include_work_in_progress(user) -> bool:
    """Only supervisors read unapproved figures: everyone else sees signed-off results only."""
    return can_supervise(user)


def may_compare_forces(user) -> bool:
    """The national comparison shows every force: audit staff may read it, a force contact may not."""
    return is_audit_staff(user)


def sees_decisions(user) -> bool:
    """Decisions (the forces' whole extracts) are for the audit team and data stewards; force contacts see
    only their own force's signed-off results."""
    return is_audit_staff(user)


def sees_results(user) -> bool:
    return is_audit_staff(user) or is_force_contact(user)


def sees_others_work(user) -> bool:
    """Whether `user` sees every auditor's reviews in the audits they may see, at any time. Anyone else (an
    auditor) is blind until an audit is signed off: they read their own reviews only, since any decision of an
    open audit may yet be given to them as a blind second review, and so never another auditor's verdict, notes
    or draft.
    `ReviewQuerySet.blind_for` applies this rule; every page, download and data administration list that
    shows reviews asks it."""
    return has_role(user, Role.SUPERVISOR, Role.DATA_STEWARD)


def sees_draw(user) -> bool:
    """Whether `user` sees how the sample was drawn: the seed and each category's population, checksum and
    drawn count. With them the draw can be run again, and the reviews it did not pick are the known-answer
    items, which must look like any other to auditors. Supervisors plan the draw and add those items; a force
    contact, who sees only signed-off audits and no reviews, may check that the sample was drawn fairly."""
    return can_supervise(user) or is_force_contact(user)


def sees_disagreements(user) -> bool:
    return can_supervise(user)


def forces_visible_to(user) -> QuerySet[Force]:
    """The forces whose results `user` may read: every force for audit staff, a force contact's own force."""
    if is_audit_staff(user):
        return Force.objects.all()
    if is_force_contact(user):
        return Force.objects.filter(pk=user.force_id)
    return Force.objects.none()


def may_read_open_data(user) -> bool:
    """The open data package holds published figures only, which forces, commissioners and journalists quote: anyone
    when `RESULTS_PUBLIC` says the results are public, otherwise audit staff. A force contact is not, while the
    results are not public: the package holds every force's figures, and a force contact sees nothing of any other
    force until then."""
    return settings.RESULTS_PUBLIC or is_audit_staff(user)


def may_be_given_reviews(user) -> bool:
    """Whether reviews may be assigned to `user`: an active holder of the Auditor role itself (a superuser who
    holds no such role reviews nothing)."""
    return user is not None and user.is_active and user.has_role(Role.AUDITOR)


def may_answer(user, review) -> bool:
    """Whether `user` may save answers on `review`: their own, not yet submitted, in an open audit."""
    return review.auditor_id == user.pk and not review.is_finished and not review.audit.is_locked


def sees_actions(user) -> bool:
    """The actions list: audit staff see the actions of the audits they see, a force contact their own force's."""
    return is_audit_staff(user) or is_force_contact(user)


def acts_for_force(user, action) -> bool:
    """The force's own contact, and nothing more (`is_force_contact`: never someone who also audits or supervises),
    is who records what was done for its actions."""
    return is_force_contact(user) and user.force_id == action.audit.force_id


def may_record_outcome(user, action) -> bool:
    """Only the force's own contact records what was done, while the action waits for the force."""
    return acts_for_force(user, action) and action.awaits_force


def settles_for(user, action) -> bool:
    """A supervisor who did not record the action's outcome is who accepts or returns it."""
    return can_supervise(user) and (action.outcome_by_id is None or action.outcome_by_id != user.pk)


def may_settle_outcome(user, action) -> bool:
    """A supervisor accepts or returns a recorded outcome, never one they recorded themselves."""
    return settles_for(user, action) and action.awaits_supervisor


def may_administer_data(user) -> bool:
    """The data administration pages' import and export buttons."""
    return has_role(user, Role.DATA_STEWARD)


def allowed(user) -> dict[str, bool]:
    """What templates may ask, as `may.<name>` (see `web.navigation`)."""
    return {
        "supervise": can_supervise(user),
        "review": can_review(user),
        "see_decisions": sees_decisions(user),
        "compare_forces": may_compare_forces(user),
        "force_contact_only": is_force_contact(user),
        "see_actions": sees_actions(user),
        "administer_data": may_administer_data(user),
        "read_open_data": may_read_open_data(user),
        "any_role": has_role(user, *Role.values),
    }


class RoleRequiredMixin(UserPassesTestMixin):
    """Signed-in users holding one of `roles`; others get 403, and anonymous users the sign-in page."""

    roles: frozenset[str] = frozenset()

    def test_func(self) -> bool:
        return has_role(self.request.user, *self.roles)


class SupervisorMixin(RoleRequiredMixin):
    roles = frozenset({Role.SUPERVISOR})


class AuditorMixin(RoleRequiredMixin):
    roles = frozenset({Role.AUDITOR})


class DataStewardMixin(RoleRequiredMixin):
    """The data steward's pages outside the data administration (see `may_administer_data`)."""

    roles = frozenset({Role.DATA_STEWARD})
