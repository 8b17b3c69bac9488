"""The embedded SQLite database (the local default) while an import writes: a sign-in waits for the lock rather
than failing with "database is locked". It runs in fresh processes on a database file, as the application does:
the test database of the rest of the suite lives in memory, or on PostgreSQL."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# How long the import holds its write transaction open: well under the 20-second busy timeout.
HOLD_SECONDS = 3

SIGN_IN_DURING_AN_IMPORT = f"""
import json, threading, time
from django.db import connection, transaction
from django.test import Client
from accounts.models import AccessAction, AccessRecord, User

person = User.objects.create_user("signer", password="a long passphrase for the test")
held = threading.Event()

def import_in_progress():
    # An import's write transaction, from another connection, left open for a while.
    with transaction.atomic():
        User.objects.filter(pk=person.pk).update(first_name="Changed by the import")
        held.set()
        time.sleep({HOLD_SECONDS})
    connection.close()

importer = threading.Thread(target=import_in_progress)
importer.start()
held.wait()
started = time.monotonic()
response = Client(HTTP_HOST="localhost").post(
    "/sign-in/", {{"username": "signer", "password": "a long passphrase for the test"}}
)
waited = time.monotonic() - started
importer.join()
person.refresh_from_db()
print(json.dumps({{
    "status": response.status_code,
    "location": response.get("Location"),
    "waited": waited,
    "last_login": person.last_login is not None,
    "first_name": person.first_name,
    "signed_in_records": AccessRecord.objects.filter(user=person, action=AccessAction.SIGNED_IN).count(),
    "journal_mode": connection.cursor().execute("PRAGMA journal_mode").fetchone()[0],
}}))
"""


# A transaction that reads and then writes (as saving a review does) while another connection writes between its
# read and its write. Begun lazily (DEFERRED), it could not write from its old snapshot, and would fail at once with
# "database is locked" whatever the timeout; begun IMMEDIATE, it holds the write lock from the start and the other
# writer waits for it.
READ_THEN_WRITE = """
import json, threading
from django.db import connection, transaction
from accounts.models import User

person = User.objects.create_user("reader", password="x")
has_read, other_started = threading.Event(), threading.Event()
errors = []

def another_writer():
    other_started.set()
    try:
        User.objects.filter(pk=person.pk).update(last_name="Another writer")
    except Exception as error:
        errors.append(str(error))
    connection.close()

try:
    with transaction.atomic():
        User.objects.get(pk=person.pk)
        writer = threading.Thread(target=another_writer)
        writer.start()
        other_started.wait()
        writer.join(timeout=1)
        User.objects.filter(pk=person.pk).update(first_name="Read then written")
except Exception as error:
    errors.append(str(error))
writer.join()
person.refresh_from_db()
print(json.dumps({"errors": errors, "names": [person.first_name, person.last_name]}))
"""


def manage(*args: str, database: Path) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**environment, "DATABASE_URL": f"sqlite:///{database}"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    """A migrated database file (one for the module: migrating takes a few seconds)."""
    database = tmp_path_factory.mktemp("embedded") / "db.sqlite3"
    migrated = manage("migrate", "--verbosity", "0", database=database)
    assert migrated.returncode == 0, migrated.stderr
    return database


def run(script: str, database: Path) -> dict:
    result = manage("shell", "--no-imports", "-c", script, database=database)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_signing_in_while_an_import_holds_the_write_lock_waits_and_succeeds(database):
    outcome = run(SIGN_IN_DURING_AN_IMPORT, database)

    assert outcome["journal_mode"] == "wal"
    # Signed in (redirected home), with the time of the sign-in and an access record written...
    assert (outcome["status"], outcome["location"]) == (302, "/")
    assert outcome["last_login"]
    assert outcome["signed_in_records"] == 1
    # ...after waiting for the import to commit, whose change is kept.
    assert outcome["waited"] >= HOLD_SECONDS * 0.8
    assert outcome["first_name"] == "Changed by the import"


def test_a_transaction_that_reads_then_writes_is_not_refused_by_another_writer(database):
    outcome = run(READ_THEN_WRITE, database)

    assert outcome["errors"] == []
    assert outcome["names"] == ["Read then written", "Another writer"]
