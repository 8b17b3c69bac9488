"""The user administration as a data steward and as a superuser: nobody raises their own access, only a
superuser hands out the administration's own powers or types someone else's password, new and locked-out
people choose their password through a one-time link, and every change is in the person's history with
who made it. Everything goes through the real admin pages with the test client."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import serializers
from django.test import Client
from django.urls import reverse

from accounts.models import PasswordChange, User
from accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "a-quiet-meadow-at-dusk"


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def steward_client(data_steward):
    client = Client()
    client.force_login(data_steward)
    return client


@pytest.fixture
def superuser_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def role(name: Role) -> Group:
    return Group.objects.get(name=name)


def with_roles(changes: dict) -> dict:
    """`changes`, with the role names given for "groups" turned into the groups themselves."""
    if "groups" in changes:
        return {**changes, "groups": [role(name) for name in changes["groups"]]}
    return changes


def change_url(person: User) -> str:
    return reverse("admin:accounts_user_change", args=[person.pk])


def link_url(person: User) -> str:
    return reverse("admin:accounts_user_set_password_link", args=[person.pk])


def password_url(person: User) -> str:
    return reverse("admin:auth_user_password_change", args=[person.pk])


def as_posted(value) -> str | list[str] | None:
    """A form value as a browser sends it: ticked boxes as "on", unticked ones not at all."""
    if value is True:
        return "on"
    if value is False:
        return None
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        return [str(getattr(item, "pk", item)) for item in value]
    return str(getattr(value, "pk", value))


def change_form_data(client: Client, person: User, **changes) -> dict:
    """What the change page for `person` posts as it stands, with `changes` made to it."""
    response = client.get(change_url(person))
    assert response.status_code == 200
    form = response.context["adminform"].form
    values = {name: form[name].value() for name, field in form.fields.items() if not field.disabled}
    values.update(changes)
    data = {name: as_posted(value) for name, value in values.items()}
    return {name: value for name, value in data.items() if value is not None}


def post_change(client: Client, person: User, **changes):
    return client.post(change_url(person), change_form_data(client, person, **changes))


def errors_of(response) -> dict[str, list[str]]:
    return response.context["adminform"].form.errors


def snapshot(person: User) -> dict:
    """Everything about an account that grants access, read afresh from the database."""
    person = User.objects.get(pk=person.pk)
    return {
        "is_active": person.is_active,
        "is_staff": person.is_staff,
        "is_superuser": person.is_superuser,
        "groups": set(person.groups.values_list("name", flat=True)),
        "user_permissions": set(person.user_permissions.values_list("codename", flat=True)),
        "password": person.password,
        "email": person.email,
    }


def latest_entry(person: User):
    return person.history.select_related("history_user").latest()


# A data steward cannot raise their own access, or anyone else's beyond the work roles.


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"groups": [Role.DATA_STEWARD, Role.SUPERVISOR]}, "groups", "You cannot change your own roles."),
        ({"is_superuser": True}, "is_superuser", "You cannot change your own superuser status."),
        ({"is_staff": False}, "is_staff", "You cannot change your own staff status."),
        ({"is_active": False}, "is_active", "You cannot switch your own account off or on."),
    ],
)
def test_a_data_steward_cannot_change_their_own_access(steward_client, data_steward, changes, field, message):
    before = snapshot(data_steward)

    response = post_change(steward_client, data_steward, **with_roles(changes))

    assert response.status_code == 200
    assert errors_of(response)[field] == [message]
    assert message in response.content.decode()
    assert snapshot(data_steward) == before


def test_a_data_steward_cannot_give_themselves_permissions(steward_client, data_steward):
    before = snapshot(data_steward)
    permission = Permission.objects.get(codename="change_review")

    response = post_change(steward_client, data_steward, user_permissions=[permission])

    assert errors_of(response)["user_permissions"] == ["You cannot change your own permissions."]
    assert snapshot(data_steward) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"is_superuser": True}, "is_superuser", "Only a superuser can grant or remove superuser status."),
        ({"is_staff": True}, "is_staff", "Only a superuser can grant or remove staff status."),
        (
            {"groups": [Role.AUDITOR, Role.DATA_STEWARD]},
            "groups",
            "Only a superuser can grant or remove the Data steward role.",
        ),
    ],
)
def test_a_data_steward_cannot_grant_the_administrations_own_powers(steward_client, auditor, changes, field, message):
    before = snapshot(auditor)

    response = post_change(steward_client, auditor, **with_roles(changes))

    assert response.status_code == 200
    assert errors_of(response)[field] == [message]
    assert snapshot(auditor) == before


def test_a_data_steward_cannot_give_someone_permissions_of_their_own(steward_client, auditor):
    before = snapshot(auditor)

    response = post_change(steward_client, auditor, user_permissions=[Permission.objects.get(codename="add_user")])

    assert errors_of(response)["user_permissions"] == [
        "Only a superuser can grant or remove a person's own permissions."
    ]
    assert snapshot(auditor) == before


def test_a_data_steward_cannot_make_a_new_person_a_data_steward(steward_client):
    response = steward_client.post(
        reverse("admin:accounts_user_add"),
        {"username": "newcomer", "groups": [role(Role.DATA_STEWARD).pk]},
    )

    assert response.status_code == 200
    assert errors_of(response)["groups"] == ["Only a superuser can grant or remove the Data steward role."]
    assert not User.objects.filter(username="newcomer").exists()


def test_the_add_form_takes_no_access_but_the_work_roles(steward_client):
    response = steward_client.post(
        reverse("admin:accounts_user_add"),
        {"username": "newcomer", "is_staff": "on", "is_superuser": "on", "password1": NEW_PASSWORD},
    )

    assert response.status_code == 302
    person = User.objects.get(username="newcomer")
    assert not person.is_staff
    assert not person.is_superuser
    assert not person.has_usable_password()


def test_a_data_steward_cannot_set_anyones_password_in_the_password_form(steward_client, supervisor):
    before = snapshot(supervisor)

    assert steward_client.get(password_url(supervisor)).status_code == 403
    response = steward_client.post(
        password_url(supervisor), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )

    assert response.status_code == 403
    assert snapshot(supervisor) == before
    assert Client().post(reverse("login"), {"username": "supervisor", "password": NEW_PASSWORD}).status_code == 200


def test_a_data_steward_cannot_set_their_own_password_in_the_password_form_either(steward_client, data_steward):
    assert steward_client.get(password_url(data_steward)).status_code == 403


@pytest.mark.parametrize("whose", ["superuser", "other steward"])
def test_a_data_steward_may_read_but_not_change_a_superusers_or_another_stewards_account(
    steward_client, superuser, whose
):
    if whose == "superuser":
        person = superuser
    else:
        person = UserFactory(username="other-steward", role=Role.DATA_STEWARD, is_staff=True)
    before = snapshot(person)

    page = steward_client.get(change_url(person))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    html = page.content.decode()
    assert "Issue a set-password link" not in html
    assert "algorithm" not in html
    data = {"username": person.username, "email": "new-owner@example.org", "is_staff": "on"}
    assert steward_client.post(change_url(person), data).status_code == 403
    assert steward_client.get(link_url(person)).status_code == 403
    assert steward_client.post(link_url(person)).status_code == 403
    assert steward_client.post(password_url(person), {"password1": NEW_PASSWORD}).status_code == 403
    assert snapshot(person) == before


def test_a_data_steward_cannot_issue_a_set_password_link_for_themselves(steward_client, data_steward):
    before = snapshot(data_steward)

    assert steward_client.post(link_url(data_steward)).status_code == 403
    assert snapshot(data_steward) == before


def test_an_old_version_of_an_account_cannot_be_saved_back(steward_client, auditor):
    record = auditor.history.latest()
    url = reverse("admin:accounts_user_simple_history", args=[auditor.pk, record.pk])

    assert steward_client.get(url).status_code == 200
    assert steward_client.post(url, {"username": auditor.username, "is_superuser": "on"}).status_code == 403
    assert not User.objects.get(pk=auditor.pk).is_superuser


def test_the_password_field_points_a_data_steward_to_the_set_password_link(steward_client, auditor):
    html = steward_client.get(change_url(auditor)).content.decode()

    assert '<a class="button" href="../set-password-link/">Issue a set-password link</a>' in html
    assert 'href="../password/"' not in html
    assert "algorithm" not in html


# A superuser may do each of those for someone else; nobody changes their own access.


def test_a_superuser_grants_superuser_status_and_the_data_steward_role(superuser_client, superuser, auditor):
    response = post_change(
        superuser_client, auditor, is_superuser=True, is_staff=True, groups=[role(Role.DATA_STEWARD)]
    )

    assert response.status_code == 302, errors_of(response)
    after = snapshot(auditor)
    assert after["is_superuser"]
    assert after["is_staff"]
    assert after["groups"] == {Role.DATA_STEWARD}
    entry = latest_entry(auditor)
    assert entry.history_user == superuser
    changed = {change.field for change in entry.diff_against(entry.prev_record).changes}
    assert changed == {"is_superuser", "is_staff", "groups"}


def test_a_superuser_gives_and_removes_a_persons_own_permissions(superuser_client, auditor):
    permission = Permission.objects.get(codename="add_user")

    response = post_change(superuser_client, auditor, user_permissions=[permission])

    assert response.status_code == 302, errors_of(response)
    assert snapshot(auditor)["user_permissions"] == {"add_user"}


def test_a_superuser_edits_another_data_stewards_account(superuser_client, data_steward):
    response = post_change(superuser_client, data_steward, is_active=False, groups=[])

    assert response.status_code == 302, errors_of(response)
    after = snapshot(data_steward)
    assert not after["is_active"]
    assert after["groups"] == set()


def test_a_superuser_sets_another_persons_password_and_the_history_says_so_without_the_hash(
    superuser_client, superuser, supervisor
):
    response = superuser_client.post(
        password_url(supervisor), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )

    assert response.status_code == 302
    assert User.objects.get(pk=supervisor.pk).check_password(NEW_PASSWORD)
    entry = latest_entry(supervisor)
    assert entry.history_user == superuser
    assert entry.history_change_reason == PasswordChange.SET
    assert "password" not in {field.name for field in User.history.model._meta.fields}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"groups": [Role.SUPERVISOR]}, "groups", "You cannot change your own roles."),
        ({"is_superuser": False}, "is_superuser", "You cannot change your own superuser status."),
        ({"is_active": False}, "is_active", "You cannot switch your own account off or on."),
    ],
)
def test_nobody_changes_their_own_access_not_even_a_superuser(superuser_client, superuser, changes, field, message):
    before = snapshot(superuser)

    response = post_change(superuser_client, superuser, **with_roles(changes))

    assert errors_of(response)[field] == [message]
    assert snapshot(superuser) == before


# A data steward still does the day's work, and each change is in the person's history under their name.


def test_a_data_steward_edits_their_own_name(steward_client, data_steward):
    response = post_change(steward_client, data_steward, first_name="Sam", last_name="Okafor")

    assert response.status_code == 302, errors_of(response)
    assert str(User.objects.get(pk=data_steward.pk)) == "Sam Okafor"
    assert snapshot(data_steward)["groups"] == {Role.DATA_STEWARD}


def test_a_data_steward_creates_an_auditor_who_has_no_password_yet(steward_client, data_steward):
    page = steward_client.get(reverse("admin:accounts_user_add"))
    assert "password1" not in page.context["adminform"].form.fields

    response = steward_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "new-auditor",
            "first_name": "Priya",
            "last_name": "Shah",
            "email": "priya.shah@example.org",
            "groups": [role(Role.AUDITOR).pk],
        },
    )

    assert response.status_code == 302
    person = User.objects.get(username="new-auditor")
    assert person.has_role(Role.AUDITOR)
    assert not person.has_usable_password()
    assert not person.is_staff
    assert not person.is_superuser
    created = person.history.get()
    assert created.history_type == "+"
    assert created.history_user == data_steward
    assert [group.group.name for group in created.groups.all()] == [Role.AUDITOR]
    history = steward_client.get(reverse("admin:accounts_user_history", args=[person.pk])).content.decode()
    assert str(data_steward) in history


def test_a_data_steward_ties_a_force_contact_to_a_force(steward_client, data_steward, northamptonshire):
    person = UserFactory(username="registrar")

    refused = post_change(steward_client, person, groups=[role(Role.FORCE_CONTACT)])
    assert errors_of(refused)["force"] == ["A force contact must be tied to a force."]

    response = post_change(steward_client, person, groups=[role(Role.FORCE_CONTACT)], force=northamptonshire)

    assert response.status_code == 302, errors_of(response)
    person = User.objects.get(pk=person.pk)
    assert person.has_role(Role.FORCE_CONTACT)
    assert person.force == northamptonshire
    entry = latest_entry(person)
    assert entry.history_user == data_steward
    changes = {change.field: change for change in entry.diff_against(entry.prev_record).changes}
    assert set(changes) == {"force", "groups"}
    assert changes["force"].new == northamptonshire.pk
    assert [group.group.name for group in entry.groups.all()] == [Role.FORCE_CONTACT]


def test_a_data_steward_switches_someone_off_and_the_history_says_who(steward_client, data_steward, auditor):
    response = post_change(steward_client, auditor, is_active=False)

    assert response.status_code == 302, errors_of(response)
    assert not User.objects.get(pk=auditor.pk).is_active
    entry = latest_entry(auditor)
    assert entry.history_user == data_steward
    assert [(change.field, change.old, change.new) for change in entry.diff_against(entry.prev_record).changes] == [
        ("is_active", True, False)
    ]
    history = steward_client.get(reverse("admin:accounts_user_history", args=[auditor.pk])).content.decode()
    assert str(data_steward) in history


def test_a_data_steward_changes_someones_work_role_in_one_history_entry(steward_client, data_steward, auditor):
    entries = auditor.history.count()

    response = post_change(steward_client, auditor, groups=[role(Role.SUPERVISOR)], first_name="Jo")

    assert response.status_code == 302, errors_of(response)
    assert snapshot(auditor)["groups"] == {Role.SUPERVISOR}
    assert auditor.history.count() == entries + 1
    entry = latest_entry(auditor)
    assert entry.history_user == data_steward
    assert {change.field for change in entry.diff_against(entry.prev_record).changes} == {"first_name", "groups"}
    history = steward_client.get(reverse("admin:accounts_user_history", args=[auditor.pk])).content.decode()
    assert "Groups: [Auditor] &rarr; [Supervisor]" in re.sub(r"(\s|&nbsp;|<[^>]+>)+", " ", history)


def test_signing_in_adds_nothing_to_the_history(client, auditor):
    entries = auditor.history.count()

    assert client.post(reverse("login"), {"username": "auditor", "password": PASSWORD}).status_code == 302

    assert auditor.history.count() == entries


def test_restoring_a_backup_adds_nothing_to_the_history(auditor):
    backup = serializers.serialize("json", [auditor])
    entries = User.history.count()

    for account in serializers.deserialize("json", backup):
        account.save()

    assert User.history.count() == entries


# The set-password link: issued by a data steward, shown once, good for one use.


def issue_link(client: Client, person: User) -> str:
    response = client.post(link_url(person))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return response.context["link"]


def choose_password(link: str, password: str = NEW_PASSWORD):
    """Follow a set-password link as its owner would, in a browser of their own."""
    browser = Client()
    opened = browser.get(link, follow=True)
    assert opened.status_code == 200
    if not opened.context["validlink"]:
        return opened
    return browser.post(opened.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})


def test_a_new_person_chooses_their_password_through_a_link_that_works_once(steward_client, data_steward):
    add = reverse("admin:accounts_user_add")
    steward_client.post(add, {"username": "new-auditor", "groups": [role(Role.AUDITOR).pk]})
    person = User.objects.get(username="new-auditor")
    asked = steward_client.get(link_url(person))
    assert asked.status_code == 200
    assert "Issue the link" in asked.content.decode()
    assert User.objects.get(pk=person.pk).password == person.password

    link = issue_link(steward_client, person)

    assert re.fullmatch(r"http://testserver/set-password/[^/]+/[^/]+/", link)
    issued = latest_entry(person)
    assert issued.history_user == data_steward
    assert issued.history_change_reason == PasswordChange.LINK_ISSUED
    assert link not in str(list(person.history.values()))

    done = choose_password(link)
    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")
    chosen = latest_entry(person)
    assert chosen.history_change_reason == PasswordChange.SET
    assert chosen.history_user == person

    signed_in = Client().post(reverse("login"), {"username": "new-auditor", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == reverse("home")

    again = choose_password(link, "someone-elses-choice-now")
    assert again.status_code == 200
    assert not again.context["validlink"]
    assert "This link no longer works" in again.content.decode()
    assert User.objects.get(pk=person.pk).check_password(NEW_PASSWORD)


def test_a_link_for_a_locked_out_person_switches_their_old_password_off(steward_client, auditor):
    link = issue_link(steward_client, auditor)

    assert Client().post(reverse("login"), {"username": "auditor", "password": PASSWORD}).status_code == 200
    assert choose_password(link).status_code == 302
    assert Client().post(reverse("login"), {"username": "auditor", "password": NEW_PASSWORD}).status_code == 302


def test_a_newer_link_replaces_the_older_one(steward_client, auditor):
    first = issue_link(steward_client, auditor)
    second = issue_link(steward_client, auditor)

    assert not choose_password(first).context["validlink"]
    assert choose_password(second).status_code == 302


def test_whoever_is_signed_in_when_a_link_is_used_is_named_as_setting_the_password(
    steward_client, data_steward, auditor
):
    link = issue_link(steward_client, auditor)
    opened = steward_client.get(link, follow=True)

    steward_client.post(opened.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    entry = latest_entry(auditor)
    assert entry.history_change_reason == PasswordChange.SET
    assert entry.history_user == data_steward


def test_a_link_refuses_a_weak_password_and_stays_usable(steward_client, auditor):
    link = issue_link(steward_client, auditor)

    weak = choose_password(link, "password")

    assert weak.status_code == 200
    assert "There is a problem" in weak.content.decode()
    assert choose_password(link).status_code == 302
