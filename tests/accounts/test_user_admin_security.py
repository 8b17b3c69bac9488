"""The user administration as a data steward and as a superuser: new and locked-out people choose their
password through a one-time link, and every change to a person's account is in their history with who made
it. Everything goes through the real admin pages with the test client."""

import re

import pytest
from django.contrib.auth.models import Group
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


# A data steward's day's work is in each person's history under their name; so is a superuser's.


def test_a_data_steward_ties_a_force_viewer_to_a_force(steward_client, data_steward, northamptonshire):
    person = UserFactory(username="registrar")

    refused = post_change(steward_client, person, groups=[role(Role.FORCE_VIEWER)])
    assert errors_of(refused)["force"] == ["A force viewer must be tied to a force."]

    response = post_change(steward_client, person, groups=[role(Role.FORCE_VIEWER)], force=northamptonshire)

    assert response.status_code == 302, errors_of(response)
    person = User.objects.get(pk=person.pk)
    assert person.is_force_viewer
    assert person.force == northamptonshire
    entry = latest_entry(person)
    assert entry.history_user == data_steward
    changes = {change.field: change for change in entry.diff_against(entry.prev_record).changes}
    assert set(changes) == {"force", "groups"}
    assert changes["force"].new == northamptonshire.pk
    assert [group.group.name for group in entry.groups.all()] == [Role.FORCE_VIEWER]


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


def test_an_old_version_of_an_account_cannot_be_saved_back(steward_client, auditor):
    record = auditor.history.latest()
    url = reverse("admin:accounts_user_simple_history", args=[auditor.pk, record.pk])

    assert steward_client.get(url).status_code == 200
    assert steward_client.post(url, {"username": auditor.username, "is_superuser": "on"}).status_code == 403
    assert not User.objects.get(pk=auditor.pk).is_superuser


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
    steward_client.post(add, {"username": "new-auditor", "usable_password": "false"})
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


def test_a_data_steward_cannot_issue_a_set_password_link_for_themselves(steward_client, data_steward):
    before = snapshot(data_steward)

    assert steward_client.post(link_url(data_steward)).status_code == 403
    assert snapshot(data_steward) == before
