"""The access-records page at national scale: a million records over a year, read by a supervisor.

Times the page as a supervisor opens it (the count, one page of 50 with its people, the filter form) with
no filter, deep in the pages, and filtered by person, action and a week of dates.
"""

import time

from bench.timing import page_render, timed

RECORDS = 1_000_000
PEOPLE = 400
REPEATS = 5


def _fill(connection) -> int:
    """A million records for 400 people over the last 365 days, written by PostgreSQL itself."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    User.objects.filter(username__startswith="bench-person-").exists() or User.objects.bulk_create(
        [
            User(username=f"bench-person-{number:03d}", password=make_password(None), first_name="Bench")
            for number in range(PEOPLE)
        ]
    )
    with connection.cursor() as cursor:
        # The table refuses DELETE row by row (it is append-only); emptying the benchmark's own copy is a TRUNCATE.
        cursor.execute("TRUNCATE accounts_accessrecord")
        cursor.execute(
            """
            INSERT INTO accounts_accessrecord
                (at, user_id, username, action, object_type, object_id, object_label, details, ip_address)
            SELECT now() - (n * interval '31.536 seconds'),
                   people.ids[1 + mod(n, array_length(people.ids, 1))],
                   'bench-person',
                   (ARRAY['viewed', 'viewed', 'viewed', 'viewed', 'exported', 'imported', 'signed_in', 'signed_out'])
                       [1 + mod(n, 8)],
                   'review', n::text, 'NH/26/' || n,
                   jsonb_build_object('table', 'decisions', 'row_count', mod(n, 5000)),
                   '192.0.2.1'::inet
            FROM generate_series(1, %s) AS n,
                 (SELECT array_agg(id ORDER BY id) AS ids FROM accounts_user
                  WHERE username LIKE 'bench-person-%%') AS people
            """,
            [RECORDS],
        )
        cursor.execute("ANALYZE accounts_accessrecord")
        cursor.execute("SELECT count(*) FROM accounts_accessrecord")
        return cursor.fetchone()[0]


def _time_page(view, request_factory, user, query: dict) -> dict:
    return timed(page_render(view, request_factory, "/access-records/", user, query), repeats=REPEATS)


def run() -> dict:
    from datetime import timedelta

    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import RequestFactory
    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import Role
    from accounts.views import AccessRecordListView

    started = time.perf_counter()
    records = _fill(connection)
    fill_seconds = round(time.perf_counter() - started, 1)
    supervisor, _ = User.objects.get_or_create(username="bench-supervisor")
    supervisor.groups.add(Group.objects.get(name=Role.SUPERVISOR))
    supervisor = User.objects.get(pk=supervisor.pk)
    person = User.objects.filter(username__startswith="bench-person-").order_by("username").first()
    week_start = (timezone.localdate() - timedelta(days=100)).isoformat()
    week_end = (timezone.localdate() - timedelta(days=94)).isoformat()
    view = AccessRecordListView.as_view()
    factory = RequestFactory()
    cases = {
        "first page, no filter": {},
        "page 10,000, no filter": {"page": "10000"},
        "one person": {"user": str(person.pk)},
        "exports only": {"action": "exported"},
        "one week": {"date_from": week_start, "date_to": week_end},
        "one person, one week": {"user": str(person.pk), "date_from": week_start, "date_to": week_end},
    }
    return {
        "records": records,
        "people": PEOPLE,
        "fill_seconds": fill_seconds,
        "pages": {name: _time_page(view, factory, supervisor, query) for name, query in cases.items()},
    }


def report(figures: dict) -> str:
    lines = [
        f"Access records page: {figures['records']:,} records of {figures['people']} people "
        f"(filled in {figures['fill_seconds']} s), median and worst of {REPEATS} renders",
        f"{'page':<24} {'median ms':>10} {'max ms':>8} {'queries':>8}",
    ]
    for name, page in figures["pages"].items():
        lines.append(f"{name:<24} {page['median_ms']:>10} {page['max_ms']:>8} {page['queries']:>8}")
    return "\n".join(lines)
