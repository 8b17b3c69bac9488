"""A data steward imports a force's decisions in the browser: uploads a 20,000-row file, watches the check's progress
bar move, clicks "Import now" and reads the counts; a file with bad rows shows each row's error and saves nothing.

The jobs are run by a real worker process (`manage.py db_worker`) on the tests' database, so PostgreSQL only:
SQLite's test database lives in this process's memory, where no other process can reach it."""

import csv
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import Error as PlaywrightError

from bench.national import write_national_extract
from reviews.models import CancellationDecision, ImportJob

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker is another process: it needs a server"),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"
ROWS = 20_000


def _database_url() -> str:
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host, port = settings.get("HOST") or "127.0.0.1", settings.get("PORT") or 5432
    return f"postgres://{settings['USER']}{password}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def worker(settings, tmp_path):
    """A `db_worker` on the imports queue, sharing this process's database, stored uploads and jobs' progress."""
    progress = tmp_path / "progress"
    settings.CACHES = {
        **settings.CACHES,
        "jobs": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(progress)},
    }
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("DJANGO_") and key != "REDIS_URL"},
        "DATABASE_URL": _database_url(),
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DJANGO_JOB_PROGRESS_DIR": str(progress),
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--queue-name", "imports", "--interval", "0.2"]
            + ["--no-startup-delay"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    if process.returncode not in (0, -signal.SIGTERM):
        print(log.read_text())


def as_workbook(extract: Path) -> Path:
    """The extract as an XLSX workbook, as forces send them: read cell by cell, a check of it lasts long enough on
    any machine for the page to see it part-way (a CSV file of 20,000 rows is checked in a fraction of a second)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Decisions")
    with extract.open(newline="", encoding="utf-8") as file:
        for row in csv.reader(file):
            sheet.append(row)
    path = extract.with_suffix(".xlsx")
    workbook.save(path)
    return path


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/sign-in/?next=/imports/")
    page.get_by_label("Username").fill("steward")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/imports/")


def _upload(page, path: Path, *, check_only: bool = True) -> None:
    page.get_by_label("Upload a file").set_input_files(str(path))
    page.get_by_label("Decisions").check()
    if not check_only:
        page.get_by_label("Check only, save nothing").uncheck()
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url(re.compile(r".*/imports/\d+/$"))


def _watch(page, *, within: float = 120) -> list[dict]:
    """The job's status, read as often as the page lets us until it finishes, with what the page's
    progress bar showed at each reading; the page then reloads itself with the outcome."""
    status_url = page.locator("#import-job").get_attribute("data-status-url")
    seen, deadline = [], time.monotonic() + within
    while time.monotonic() < deadline:
        status = page.request.get(page.url.split("/imports/")[0] + status_url).json()
        try:
            bar = page.evaluate("() => { const b = document.getElementById('import-progress'); return b && b.value; }")
        except PlaywrightError:
            bar = None  # the page is reloading itself: the job has just finished
        seen.append({**status, "bar": bar})
        if status["finished"]:
            page.wait_for_selector("#import-job[data-finished='true']", timeout=10_000)
            return seen
        time.sleep(0.02)
    raise AssertionError(f"the job did not finish within {within} s: {seen[-1] if seen else None}")


def test_a_steward_checks_a_large_file_watching_its_progress_then_imports_it(
    live_server, page, screenshot, worker, tmp_path, data_steward
):
    data_steward.set_password(PASSWORD)
    data_steward.save()
    extract = as_workbook(write_national_extract(tmp_path / "national-extract.csv", rows=ROWS))
    _sign_in(page, live_server.url)

    _upload(page, extract)
    screenshot("1-check-queued")
    seen = _watch(page)

    moving = [s for s in seen if s["state"] == "running" and s["rows_total"] and 0 < s["rows_done"] < s["rows_total"]]
    assert moving, f"no reading caught the check part-way: {[(s['state'], s['rows_done']) for s in seen]}"
    if seen[-1]["elapsed_seconds"] > 3:
        # The page's script asks every second: a check this long has moved the bar before it ended.
        assert any(s["bar"] for s in seen if not s["finished"]), "the page's bar never moved"
    screenshot("2-check-done")
    assert page.locator("#import-outcome").inner_text() == "20,000 rows: 20,000 new (checked, nothing saved)"
    assert not CancellationDecision.objects.exists()

    page.get_by_role("button", name="Import now").click()
    page.wait_for_url(re.compile(r".*/imports/\d+/$"))
    _watch(page)

    screenshot("3-imported")
    assert page.locator("#import-outcome").inner_text() == "20,000 rows: 20,000 new"
    assert page.locator("#import-counts").inner_text() == "20,000 new, 0 updated, 0 unchanged"
    assert page.get_by_role("button", name="Import now").count() == 0
    assert CancellationDecision.objects.count() == ROWS
    assert page.problems == []


def test_a_file_with_bad_rows_shows_each_error_and_saves_nothing(
    live_server, page, screenshot, worker, tmp_path, data_steward
):
    data_steward.set_password(PASSWORD)
    data_steward.save()
    with write_national_extract(tmp_path / "good.csv", rows=50).open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    for number in (5, 17):
        rows[number - 1][rows[0].index("criterion")] = "C9"
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)
    _sign_in(page, live_server.url)
    page.get_by_role("button", name="Upload", exact=True).click()
    assert "Select a file to upload." in page.locator(".govuk-error-summary").inner_text()
    screenshot("0-no-file")

    _upload(page, bad, check_only=False)
    _watch(page)

    screenshot("1-errors")
    table = page.locator("table", has_text="Problem")
    cells = [[cell.inner_text() for cell in row.locator("td").all()] for row in table.locator("tbody tr").all()]
    assert [cell[:3] for cell in cells] == [["5", "criterion", "C9"], ["17", "criterion", "C9"]]
    assert all("C1-C5" in cell[3] for cell in cells)
    assert page.locator("#import-outcome").inner_text() == "2 errors, nothing saved"
    assert page.get_by_role("link", name="Download every error (CSV)").count() == 1
    assert not CancellationDecision.objects.exists()
    assert ImportJob.objects.get().error_count == 2
    assert page.problems == []
