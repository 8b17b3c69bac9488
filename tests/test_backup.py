"""Backup and restore as the README describes them: pg_dump and pg_restore on PostgreSQL, and Django's
dumpdata and loaddata (used with SQLite) into a new database. A restore keeps every row, and the results
people read from it (a force's summary and the national comparison) come out the same, figure for figure."""

import json
import re
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from psycopg2 import sql

from accounts.models import AccessAction, AccessRecord
from accounts.services import access_record
from config.ensure_database import ensure_database
from reviews.demo import DECISIONS_PER_PERIOD, DEMO_FORCES, seed_demo
from tests.test_settings import manage

ROOT = Path(__file__).resolve().parent.parent
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_dump and pg_restore are PostgreSQL's"
)

# The PostgreSQL dump holds two of the demo's forces; the dumpdata round trip holds all of it.
TWO_FORCES = ("northamptonshire", "hampshire")


def demo_decisions(forces=None) -> int:
    """How many decisions the demo creates for `forces` (all of them when None)."""
    periods = sum(len(audits) for code, _prefix, audits in DEMO_FORCES if forces is None or code in forces)
    return periods * DECISIONS_PER_PERIOD


# The results pages' figures, read by `manage.py shell` from whichever database DATABASE_URL names: the signed-off
# demo audit (Hampshire and Isle of Wight), the audit in progress as a supervisor sees it with work in progress
# (Northamptonshire), and the national comparison, both ways.
SUMMARY_FIGURES = """
import json
from dataclasses import asdict
from accounts.models import User
from forces.models import Force
from reviews.results.selectors import Scope, force_results, national_comparison

reader = User.objects.get(username="supervisor")


def force_figures(code, scope):
    results = force_results(force=Force.objects.get(code=code), user=reader, scope=scope)
    return {
        "audit": str(results.audit),
        "headline": results.headline,
        "categories": [asdict(figures) for figures in results.categories],
        "total": asdict(results.total),
        "by_criterion": [(str(criterion), asdict(figures)) for criterion, figures in results.by_criterion],
        "by_reason": [(str(reason), count) for reason, count in results.by_reason],
        "incorrect": [review.decision.crime_record.reference for review in results.incorrect_reviews],
    }


def national_figures(scope):
    comparison = national_comparison(forces=Force.objects.all(), scope=scope)
    return {
        "national": {category: asdict(share) for category, share in comparison.national.items()},
        "rows": [
            {
                "force": row.force.code,
                "audit": str(row.audit),
                "victims": asdict(row.victims),
                "categories": {category: asdict(figures) for category, figures in row.categories.items()},
            }
            for row in comparison.rows
        ],
    }


signed_off, with_work_in_progress = Scope(), Scope(include_in_progress=True)
print(json.dumps({
    "hampshire": force_figures("hampshire", signed_off),
    "northamptonshire in progress": force_figures("northamptonshire", with_work_in_progress),
    "national": national_figures(signed_off),
    "national in progress": national_figures(with_work_in_progress),
}, default=str))
"""


def summary_figures(database_url: str) -> dict:
    result = manage("shell", "--no-imports", "--command", SUMMARY_FIGURES, DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_same_results(before: dict, after: dict) -> None:
    # The demo's figures are not empty: a restore that lost the reviews could not pass.
    assert before["hampshire"]["total"]["reviewed"] > 0
    assert before["northamptonshire in progress"]["total"]["reviewed"] > 0
    assert any(row["categories"]["rape"]["reviewed"] for row in before["national"]["rows"])
    assert after == before


# Every column of every row, in a fixed order: any difference in any audit or review changes the digest.
CHECKSUM = "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {table} AS t"


def server_arguments(settings: dict) -> list[str]:
    arguments = ["--host", settings["HOST"] or "127.0.0.1", "--port", str(settings["PORT"] or 5432)]
    return [*arguments, "--username", settings["USER"]] if settings["USER"] else arguments


def connect(settings: dict, name: str):
    return psycopg2.connect(
        dbname=name,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )


def snapshot(cursor) -> dict[str, object]:
    """Row counts of every table, and checksums of the audits and reviews."""
    cursor.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    tables = [row[0] for row in cursor.fetchall()]
    figures: dict[str, object] = {}
    for table in tables:
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        figures[table] = cursor.fetchone()[0]
    for table in ["reviews_audit", "reviews_review"]:
        cursor.execute(sql.SQL(CHECKSUM).format(table=sql.Identifier(table)))
        figures[f"{table} checksum"] = cursor.fetchone()
    return figures


@postgresql_only
# pg_dump reads the database from another process, so the data must be committed.
@pytest.mark.django_db(transaction=True)
def test_a_dump_restored_into_a_new_database_has_the_same_rows_and_the_same_audits(migrated_rows, tmp_path):
    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    assert pg_dump, "pg_dump comes with PostgreSQL's client tools (postgresql-client)"
    assert pg_restore, "pg_restore comes with PostgreSQL's client tools (postgresql-client)"
    seed_demo(only=TWO_FORCES)
    # The demo's own (its import of a checked file is on the access records), and a lockout.
    records = AccessRecord.objects.count() + 1
    access_record(user=None, username="someone", action=AccessAction.LOCKED_OUT)
    settings = connection.settings_dict
    source = settings["NAME"]
    scratch = f"{source}_restore_{uuid.uuid4().hex[:8]}"
    backup = tmp_path / "cancellation_review.dump"
    environment = {"PGPASSWORD": settings["PASSWORD"]} if settings["PASSWORD"] else None

    subprocess.run(
        [pg_dump, "--format=custom", "--no-owner", "--file", str(backup), *server_arguments(settings), source],
        check=True,
        env=environment,
        timeout=300,
    )
    url = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{scratch}"
    assert ensure_database(url) is True
    try:
        subprocess.run(
            [pg_restore, "--no-owner", "--exit-on-error", "--dbname", scratch, *server_arguments(settings), backup],
            check=True,
            env=environment,
            timeout=300,
        )
        with connection.cursor() as cursor:
            original = snapshot(cursor)
        restored_connection = connect(settings, scratch)
        try:
            with restored_connection.cursor() as cursor:
                restored = snapshot(cursor)
                # The access records are still append-only after a restore.
                with pytest.raises(psycopg2.Error, match="append-only"):
                    cursor.execute("DELETE FROM accounts_accessrecord")
        finally:
            restored_connection.close()

        assert original["reviews_crimerecord"] == demo_decisions(TWO_FORCES)
        assert original["reviews_review"] > 0
        assert original["accounts_accessrecord"] == records
        assert restored == original
        source_url = url.rsplit("/", 1)[0] + f"/{source}"
        assert_same_results(summary_figures(source_url), summary_figures(url))
    finally:
        administration = connect(settings, "postgres")
        administration.autocommit = True
        with administration.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
        administration.close()


TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d{1,6}))?")


def _millisecond(match: re.Match) -> str:
    return f"{match[1]}.{(match[2] or '').ljust(3, '0')[:3]}"


def to_milliseconds(row: tuple) -> tuple:
    # Django's JSON dump keeps times to the millisecond (as the README says); the rest must be identical. SQLite
    # stores a time with no fraction when it falls on a whole second, as a time under a millisecond does once
    # dumped and loaded, so every time is compared as seconds and milliseconds.
    return tuple(TIMESTAMP.sub(_millisecond, value) if isinstance(value, str) else value for value in row)


def sqlite_figures(path: Path) -> dict[str, object]:
    database = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in database.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        figures: dict[str, object] = {
            table: database.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608 (own table names)
            for table in tables
            if table not in {"django_migrations", "django_session"}
        }
        for table in ["reviews_audit", "reviews_review"]:
            rows = database.execute(f'SELECT * FROM "{table}" ORDER BY id').fetchall()  # noqa: S608
            figures[f"{table} rows"] = [to_milliseconds(row) for row in rows]
        return figures
    finally:
        database.close()


def test_dumpdata_and_loaddata_restore_the_demo_data_into_a_new_database(tmp_path):
    def run(*args: str, database: Path):
        result = manage(*args, DATABASE_URL=f"sqlite:///{database}")
        assert result.returncode == 0, result.stderr
        return result

    original, restored, backup = tmp_path / "original.sqlite3", tmp_path / "restored.sqlite3", tmp_path / "backup.json"
    run("migrate", "--noinput", "-v0", database=original)
    run("seed_demo", database=original)
    exclusions = ["--exclude", "contenttypes", "--exclude", "auth.permission", "--exclude", "sessions"]
    exclusions += ["--exclude", "django_rq"]
    run("dumpdata", *exclusions, "--output", str(backup), database=original)
    run("migrate", "--noinput", "-v0", database=restored)
    run("loaddata", str(backup), database=restored)

    before, after = sqlite_figures(original), sqlite_figures(restored)
    assert before["reviews_crimerecord"] == demo_decisions()
    assert len(before["reviews_review rows"]) > 0
    assert after == before
    assert_same_results(summary_figures(f"sqlite:///{original}"), summary_figures(f"sqlite:///{restored}"))
