"""Access records: who viewed, exported, imported, signed in and out; append-only; a page to read them."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessAction, AccessRecord, AppendOnlyError
from accounts.roles import Role
from accounts.services import access_record, filters_from_query
from tests.factories import AuditFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db


def request_from(address="203.0.113.5", path="/", **extra):
    return RequestFactory().get(path, REMOTE_ADDR=address, **extra)


# The service the review, export and import pages call


def test_viewing_a_review_is_recorded_with_who_what_when_and_where(auditor):
    review = ReviewFactory()
    before = timezone.now()

    record = access_record(user=auditor, action=AccessAction.VIEWED, target=review, request=request_from())

    record = AccessRecord.objects.get(pk=record.pk)
    assert record.user == auditor
    assert record.username == "auditor"
    assert record.action == AccessAction.VIEWED
    assert record.object_type == "review"
    assert record.object_id == str(review.pk)
    assert record.object_label == str(review)
    assert record.ip_address == "203.0.113.5"
    assert before <= record.at <= timezone.now()


def test_an_export_keeps_its_table_filters_and_row_count(supervisor):
    request = request_from(path="/decisions/?force=kent&category=rape&category=robbery&page=3&sort=-date&q=")

    access_record(
        user=supervisor,
        action=AccessAction.EXPORTED,
        request=request,
        object_type="decisions",
        object_label="Cancelled and transferred crimes",
        details={"table": "decisions", "filters": filters_from_query(request.GET), "row_count": 1234, "format": "csv"},
    )

    details = AccessRecord.objects.get().details
    # Paging and sorting do not change what was exported, and empty filters narrow nothing.
    assert details == {
        "table": "decisions",
        "filters": {"category": ["rape", "robbery"], "force": "kent"},
        "row_count": 1234,
        "format": "csv",
    }


def test_an_import_keeps_its_file_name_size_and_row_count(data_steward):
    access_record(
        user=data_steward,
        action=AccessAction.IMPORTED,
        request=request_from(),
        object_type="crime records",
        object_label="kent-2026-q1.csv",
        details={"file_name": "kent-2026-q1.csv", "file_size": 52_311, "row_count": 240},
    )

    record = AccessRecord.objects.get()
    assert record.details == {"file_name": "kent-2026-q1.csv", "file_size": 52_311, "row_count": 240}


def test_an_unknown_action_is_refused(auditor):
    with pytest.raises(ValidationError):
        access_record(user=auditor, action="deleted")

    assert not AccessRecord.objects.exists()


def test_behind_a_trusted_proxy_the_address_is_the_one_the_proxy_saw(auditor, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = request_from(address="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.23")

    record = access_record(user=auditor, action=AccessAction.VIEWED, request=request)

    # The left-most entry was written by the client and is not believed.
    assert record.ip_address == "198.51.100.23"


def test_without_a_proxy_a_forwarded_address_is_ignored(auditor):
    request = request_from(address="203.0.113.5", HTTP_X_FORWARDED_FOR="6.6.6.6")

    assert access_record(user=auditor, action=AccessAction.VIEWED, request=request).ip_address == "203.0.113.5"


# Signing in and out


def test_signing_in_and_out_are_recorded(client, auditor):
    client.post(
        reverse("login"), {"username": "auditor", "password": "correct-horse-battery"}, REMOTE_ADDR="192.0.2.44"
    )
    client.post(reverse("logout"), REMOTE_ADDR="192.0.2.44")

    records = list(AccessRecord.objects.order_by("id").values_list("username", "action", "ip_address"))
    assert records == [
        ("auditor", AccessAction.SIGNED_IN, "192.0.2.44"),
        ("auditor", AccessAction.SIGNED_OUT, "192.0.2.44"),
    ]


def test_a_failed_sign_in_signs_no_one_in(client, auditor):
    client.post(reverse("login"), {"username": "auditor", "password": "wrong"})

    assert not AccessRecord.objects.filter(action=AccessAction.SIGNED_IN).exists()


# Append-only


@pytest.fixture
def record(auditor):
    return access_record(user=auditor, action=AccessAction.VIEWED, object_type="review", object_id=1)


def test_a_record_cannot_be_changed_or_deleted_through_the_application(record):
    record.object_label = "something else"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()
    with pytest.raises(AppendOnlyError):
        AccessRecord.objects.filter(pk=record.pk).update(object_label="x")
    with pytest.raises(AppendOnlyError):
        AccessRecord.objects.filter(pk=record.pk).delete()

    assert AccessRecord.objects.get(pk=record.pk).object_label == ""


def test_the_user_behind_a_record_cannot_be_deleted(record, auditor):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        auditor.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the table trigger exists on PostgreSQL only")
@pytest.mark.parametrize(
    "statement",
    ["UPDATE accounts_accessrecord SET object_label = 'forged'", "DELETE FROM accounts_accessrecord"],
)
def test_postgresql_itself_refuses_to_change_or_delete_a_record(record, statement):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    assert AccessRecord.objects.get(pk=record.pk).object_label == ""


# The page


def page(client, **query):
    return client.get(reverse("access_records"), query)


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.DATA_STEWARD])
def test_supervisors_and_data_stewards_read_access_records_and_find_them_in_the_menu(client, record, role):
    client.force_login(UserFactory(role=role))

    response = page(client)

    assert response.status_code == 200
    assert record in response.context["table"].data
    assert 'href="/access-records/"' in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.FORCE_CONTACT, None])
def test_nobody_else_may_read_them_or_sees_them_in_the_menu(client, record, role, northamptonshire):
    user = UserFactory(role=role, force=northamptonshire if role == Role.FORCE_CONTACT else None)
    client.force_login(user)

    assert page(client).status_code == 403
    assert 'href="/access-records/"' not in client.get(reverse("home")).content.decode()


def test_signed_out_people_are_sent_to_sign_in(client):
    response = page(client)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.fixture
def history(auditor, supervisor):
    """Three records at known times: an auditor's view, a supervisor's export and their sign-in."""
    times = [timezone.now() - timedelta(days=10), timezone.now() - timedelta(days=3), timezone.now()]
    AccessRecord.objects.create(
        at=times[0], user=auditor, username="auditor", action=AccessAction.VIEWED, object_type="review"
    )
    AccessRecord.objects.create(
        at=times[1],
        user=supervisor,
        username="supervisor",
        action=AccessAction.EXPORTED,
        object_type="decisions",
        object_label="Cancelled and transferred crimes",
        details={"table": "decisions", "filters": {"force": "kent"}, "row_count": 1234},
    )
    AccessRecord.objects.create(at=times[2], user=supervisor, username="supervisor", action=AccessAction.SIGNED_IN)
    return times


def shown(response) -> list[tuple[str, str]]:
    return [(record.username, record.action) for record in response.context["table"].data]


def test_the_page_lists_newest_first_with_readable_details(client, history, supervisor):
    client.force_login(supervisor)

    response = page(client, action=AccessAction.EXPORTED)

    html = response.content.decode()
    assert "Decisions: Cancelled and transferred crimes" in html
    assert "Table: decisions; Filters: force=kent; Rows: 1,234" in html
    client.force_login(supervisor)
    everything = page(client)
    assert shown(everything)[-3:] == [
        ("supervisor", AccessAction.SIGNED_IN),
        ("supervisor", AccessAction.EXPORTED),
        ("auditor", AccessAction.VIEWED),
    ]


def test_filter_by_user_action_and_dates(client, history, supervisor, auditor):
    client.force_login(supervisor)
    ten_days_ago, three_days_ago, _ = (moment.date() for moment in history)

    assert shown(page(client, user=auditor.pk)) == [("auditor", AccessAction.VIEWED)]
    assert shown(page(client, action=AccessAction.EXPORTED)) == [("supervisor", AccessAction.EXPORTED)]
    assert shown(page(client, date_to=three_days_ago.isoformat())) == [
        ("supervisor", AccessAction.EXPORTED),
        ("auditor", AccessAction.VIEWED),
    ]
    assert shown(page(client, date_from=ten_days_ago.isoformat(), date_to=ten_days_ago.isoformat())) == [
        ("auditor", AccessAction.VIEWED)
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date_from": "last tuesday"}, "Enter the start date as year-month-day"),
        ({"user": "999999"}, "Select a person from the list"),
        ({"action": "deleted"}, "Select an action from the list"),
        ({"date_from": "2026-05-01", "date_to": "2026-04-01"}, "The end date must be on or after the start date"),
    ],
)
def test_bad_filters_get_a_clear_message_and_no_rows(client, history, supervisor, query, message):
    client.force_login(supervisor)

    response = page(client, **query)

    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    assert shown(response) == []


def test_pages_of_fifty_keep_the_filter_in_their_links(client, supervisor):
    for number in range(55):
        access_record(user=supervisor, action=AccessAction.VIEWED, object_type="review", object_id=number)
    client.force_login(supervisor)

    first = page(client, action=AccessAction.VIEWED)
    second = page(client, action=AccessAction.VIEWED, page=2)

    assert len(first.context["table"].page.object_list) == 50
    assert len(second.context["table"].page.object_list) == 5
    assert "action=viewed&amp;page=2" in first.content.decode()


def test_the_page_makes_the_same_few_queries_however_many_records(client, supervisor, django_assert_num_queries):
    users = [UserFactory(role=Role.AUDITOR) for _ in range(6)]
    client.force_login(supervisor)

    def fill(count):
        for number in range(count):
            access_record(user=users[number % len(users)], action=AccessAction.VIEWED, object_id=number)

    fill(5)
    # Session, user, roles, the count, the people in the "Who" filter, one page of records with their users,
    # and the session's renewal (an UPDATE in a savepoint).
    with django_assert_num_queries(9):
        assert page(client).status_code == 200
    fill(120)
    with django_assert_num_queries(9):
        assert page(client).status_code == 200


def test_the_data_administration_pages_show_records_read_only(client, record, data_steward):
    client.force_login(data_steward)

    assert client.get(reverse("admin:accounts_accessrecord_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_accessrecord_change", args=[record.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_accessrecord_add")).status_code == 403
    response = client.post(reverse("admin:accounts_accessrecord_change", args=[record.pk]), {"object_label": "x"})
    assert response.status_code == 403
    assert (
        client.post(reverse("admin:accounts_accessrecord_delete", args=[record.pk]), {"post": "yes"}).status_code == 403
    )
    assert AccessRecord.objects.get(pk=record.pk).object_label == ""


def test_an_audit_name_with_markup_is_shown_as_text(client, supervisor):
    audit = AuditFactory(name="<script>alert('audit')</script>")
    access_record(user=supervisor, action=AccessAction.VIEWED, target=audit)
    client.force_login(supervisor)

    html = page(client).content.decode()

    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(" in html
