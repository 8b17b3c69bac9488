import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group

from accounts.forms import RoleAwareUserChangeForm
from accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_four_roles_exist_as_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (Role.AUDITOR, ["reviews.change_review", "reviews.view_cancellationdecision"], ["reviews.change_audit"]),
        (Role.SUPERVISOR, ["reviews.change_audit", "reviews.change_review"], ["reviews.add_crimerecord"]),
        (
            Role.DATA_STEWARD,
            ["reviews.add_crimerecord", "reviews.change_cancellationdecision", "accounts.add_user"],
            ["reviews.change_review"],
        ),
        (Role.FORCE_CONTACT, [], ["reviews.view_review", "reviews.view_crimerecord"]),
    ],
)
def test_each_role_holds_the_permissions_its_work_needs_and_no_more(role, allowed, refused):
    user = UserFactory(role=role)

    assert user.has_role(role)
    for permission in allowed:
        assert user.has_perm(permission), permission
    for permission in refused:
        assert not user.has_perm(permission), permission


def test_an_inactive_user_holds_no_role():
    user = UserFactory(role=Role.SUPERVISOR, is_active=False)

    assert user.roles == frozenset()


def test_a_force_contact_must_be_tied_to_a_force(northamptonshire):
    user = UserFactory()
    data = {
        "username": user.username,
        "password": user.password,
        "groups": [Group.objects.get(name=Role.FORCE_CONTACT).pk],
        "date_joined": "2026-01-01 09:00:00",
        "is_active": True,
    }

    form = RoleAwareUserChangeForm(data=data, instance=user)
    assert not form.is_valid()
    assert form.errors["force"] == ["A force contact must be tied to a force."]

    form = RoleAwareUserChangeForm(data={**data, "force": northamptonshire.pk}, instance=user)
    assert form.is_valid(), form.errors


def _rename_migration():
    return importlib.import_module("accounts.migrations.0005_force_contact_role")


def test_the_force_viewer_group_is_renamed_force_contact_keeping_its_members(northamptonshire):
    migration = _rename_migration()
    Group.objects.filter(name=Role.FORCE_CONTACT).delete()
    viewers = Group.objects.create(name="Force viewer")
    viewer = UserFactory(username="old-viewer")
    viewer.groups.add(viewers)

    migration.rename_group(migration.OLD_NAME, migration.NEW_NAME)(django_apps, None)

    renamed = Group.objects.get(pk=viewers.pk)
    assert renamed.name == "Force contact"
    assert list(renamed.user_set.all()) == [viewer]
    assert not Group.objects.filter(name="Force viewer").exists()


def test_members_of_an_old_force_viewer_group_join_an_existing_force_contact_group():
    migration = _rename_migration()
    viewers = Group.objects.create(name="Force viewer")
    viewer = UserFactory(username="old-viewer")
    viewer.groups.add(viewers)

    migration.rename_group(migration.OLD_NAME, migration.NEW_NAME)(django_apps, None)

    assert list(Group.objects.get(name=Role.FORCE_CONTACT).user_set.all()) == [viewer]
    assert not Group.objects.filter(name="Force viewer").exists()
