"""A worker killed in the middle of an import on the embedded SQLite database (the local default, `make run`):
nothing of the file is stored, the database is sound, and the job is marked failed once its heartbeat is stale.

Everything runs in fresh processes on a database file, as the application does: the rest of the suite's SQLite
database lives in memory. With the suite on PostgreSQL this is skipped; test_faults.py covers PostgreSQL."""

import json
import subprocess
import sys

import pytest
from django.db import connection

from bench.national import write_national_extract
from reviews.exchange import progress as phases
from reviews.imports.tracking import WORKER_LOST, live_progress
from tests.reviews.imports.processes import ROOT, service_environment, start_worker, wait_until

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the embedded database's own test; test_faults.py covers PostgreSQL"
)

ROWS = 100_000
STALE_SECONDS = 3

QUEUE_AN_IMPORT = """
import json, os
from django.core.files import File
from accounts.models import User
from reviews.imports.services import import_job_create
steward = User.objects.create_user("steward", password="a long passphrase for the test")
with open(os.environ["EXTRACT"], "rb") as file:
    job = import_job_create(upload=File(file, name="extract.csv"), kind="decisions", check_only=False, by=steward)
print(json.dumps({"id": job.pk, "token": job.token}))
"""

AFTERWARDS = """
import json, os, time
from django.db import connection
from reviews.imports.selectors import import_job_status
from reviews.models import CancellationDecision, CrimeRecord, ImportJob
job = ImportJob.objects.get(pk=int(os.environ["JOB"]))
deadline = time.monotonic() + 60
while not (status := import_job_status(job))["finished"] and time.monotonic() < deadline:
    time.sleep(0.5)
    job.refresh_from_db()
with connection.cursor() as cursor:
    cursor.execute("PRAGMA integrity_check")
    integrity = cursor.fetchone()[0]
print(json.dumps({
    "state": status["state"],
    "message": status["message"],
    "records": CrimeRecord.objects.count(),
    "decisions": CancellationDecision.objects.count(),
    "integrity": integrity,
}))
"""


def shell(script: str, environment: dict[str, str]) -> dict:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_worker_killed_in_the_middle_of_an_import_leaves_the_embedded_database_as_it_was(settings, tmp_path):
    progress = tmp_path / "progress"
    settings.CACHES = {
        **settings.CACHES,
        "jobs": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(progress)},
    }
    environment = service_environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(tmp_path / "uploads"),
        DJANGO_JOB_PROGRESS_DIR=str(progress),
        DJANGO_IMPORT_JOB_STALE_SECONDS=str(STALE_SECONDS),
        DJANGO_IMPORT_JOB_HEARTBEAT_SECONDS="0.5",
        EXTRACT=str(write_national_extract(tmp_path / "extract.csv", rows=ROWS)),
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=environment, check=True)
    job = shell(QUEUE_AN_IMPORT, environment)
    worker = start_worker("worker", environment=environment, logs=tmp_path)
    try:
        seen = set()

        def writing() -> bool:
            phase = live_progress(job["token"]).get("phase")
            # The progress is forgotten when the job ends: a phase seen, then none, is a job that ended.
            assert phase or not seen, f"the import ended before it wrote (phases seen: {seen})"
            if phase:
                seen.add(phase)
            return phase == phases.WRITING

        wait_until(writing, within=300, what="the import to write", processes=[worker])
        worker.kill()
    finally:
        if worker.running():
            worker.kill()

    outcome = shell(AFTERWARDS, {**environment, "JOB": str(job["id"])})

    assert outcome == {
        "state": "failed",
        "message": WORKER_LOST,
        "records": 0,
        "decisions": 0,
        "integrity": "ok",
    }
