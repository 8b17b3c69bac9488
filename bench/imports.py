"""The decisions import and the CSV export at national scale.

Builds the deterministic synthetic extract (43 forces, 200,000 decisions, fixed seed), then on PostgreSQL:

* times `manage.py import_decisions` end to end in its own process (start to commit), with its peak memory:
  the full extract as a first load (empty tables) and a tenth of it (memory should not grow with the file);
  a re-import of the full extract (every row unchanged); and the next extracts, 200,000 new decisions each,
  into the 200,000, 400,000 and 600,000 stored (later loads, which check every row against what is stored),
  then the last into the 800,000 stored, `APPEND_RUNS` times, each into its own copy of the database, giving
  the median run. Before each later load the two tables are vacuumed and analysed, as autovacuum leaves them
  once the load before has settled: otherwise the figure depends on whether autovacuum happens to be working
  through the load before on the other core meanwhile;
* times a raw `COPY` of the same file into a table with no constraints, the floor for any import;
* exports the 200,000 decisions as CSV and a tenth of them, each in its own process, with the time to the
  first bytes and the peak memory (which should be the same for both);
* imports the same full extract into empty tables through the upload page and the queue, served the production
  way (gunicorn and a `jobs_worker` process): a signed-in data steward uploads it with "check only" off and
  reads the job's `status.json` until it is done; upload to done, beside the command line's first load.
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import maintenance_connection
from bench.national import COLUMNS, SEED, write_national_extract

ROWS = 200_000
SMALL_ROWS = ROWS // 10
TARGET_ROWS_PER_SECOND = 30_000
# 200,000 new decisions into the 800,000 stored.
TARGET_APPEND_ROWS_PER_SECOND = 40_000
# The later loads: each extract's decisions go into those of the extracts before.
LATER_LOADS = 4
# Runs of the last later load (200,000 into the 800,000 stored), each into its own copy of the database.
APPEND_RUNS = 3
TARGET_WITHIN_RAW_COPY = 25
# Upload to done through the upload page and the queue, at most this many times the command line's first load.
TARGET_UPLOAD_TIMES_COMMAND = 1.5
ROOT = Path(__file__).resolve().parent.parent
# A tenth of the extract's decisions by date (its period runs from April 2021 to March 2026).
SMALL_EXPORT_QUERY = "decided_to=2021-09-30"

EXPORT_SCRIPT = """
import sys, time
import django
django.setup()
from django.test import RequestFactory
from accounts.models import User
from reviews.exchange.views import ExportView
user, _ = User.objects.get_or_create(username="bench-export", defaults={"is_superuser": True})
request = RequestFactory().get("/export/decisions.csv?" + sys.argv[1])
request.user = user
started = time.perf_counter()
response = ExportView.as_view()(request, table="decisions", file_format="csv")
first = None
size = 0
for chunk in response.streaming_content:
    if first is None and chunk.count(b"\\n") > 1:
        first = time.perf_counter() - started
    size += len(chunk)
print(first, time.perf_counter() - started, size)
"""


def _truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE reviews_review, reviews_cancellationdecision, reviews_crimerecord CASCADE")


# Runs a script with `sys.argv` as given, then writes its own peak memory (VmHWM, kB) to standard error. A child's
# `ru_maxrss` would not do: Linux carries the parent's peak over into a forked and exec'd child.
PEAK_MEMORY_WRAPPER = """
import atexit, runpy, sys
def peak():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                print("peak-memory-kb", line.split()[1], file=sys.stderr)
atexit.register(peak)
sys.argv = sys.argv[1:]
sys.path.insert(0, ".")
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _run_child(args: list[str], *, environment: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(seconds from process start to exit, peak resident memory in MB, standard output) of a Python script
    (`[script, *arguments]`) run in its own process, with `environment` added to this one's."""
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY_WRAPPER, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(environment or {})},
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    peak_kb = int(completed.stderr.rsplit("peak-memory-kb", 1)[1].split()[0])
    return elapsed, round(peak_kb / 1024, 1), completed.stdout


def _import_command(path: Path, *, database_url: str | None = None) -> dict:
    environment = {"DATABASE_URL": database_url} if database_url else None
    seconds, peak, output = _run_child(["manage.py", "import_decisions", str(path)], environment=environment)
    rows = int(output.split("Imported ", 1)[1].split(" ", 1)[0])
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "peak_memory_mb": peak,
        "report": output.strip().splitlines()[-1],
    }


def _settle() -> None:
    """Vacuum and analyse the tables a decisions import writes, as autovacuum does some time after a load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE reviews_crimerecord, reviews_cancellationdecision")


def _append_runs(path: Path, *, stored: int) -> dict:
    """The import of `path` into the decisions stored, `APPEND_RUNS` times, each into a copy of the benchmarks'
    database made for it and dropped after: the median run (by rows per second), with every run's figures."""
    from django.db import connections

    url = os.environ["DATABASE_URL"]
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    copy = f"{name}_append"
    copy_url = urlunsplit(parts._replace(path=f"/{copy}"))
    connections.close_all()
    runs = []
    for _ in range(APPEND_RUNS):
        _server_statement(url, f'DROP DATABASE IF EXISTS "{copy}"')
        _server_statement(url, f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
        try:
            runs.append(_import_command(path, database_url=copy_url))
        finally:
            _server_statement(url, f'DROP DATABASE IF EXISTS "{copy}"')
    median = sorted(runs, key=lambda run: run["rows_per_second"])[len(runs) // 2]
    return {
        "stored": stored,
        **median,
        "runs": len(runs),
        "seconds_each": [run["seconds"] for run in runs],
        "rows_per_second_each": [run["rows_per_second"] for run in runs],
    }


def _server_statement(url: str, statement: str) -> None:
    """Run `statement` on the server of `url` from its maintenance database, outside a transaction; a copy from a
    template waits while an autovacuum worker is still connected to the template."""
    import psycopg2

    deadline = time.monotonic() + 120
    while True:
        server = maintenance_connection(url)
        try:
            with server.cursor() as cursor:
                cursor.execute(statement)
            return
        except psycopg2.errors.ObjectInUse:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
        finally:
            server.close()


def _raw_copy(path: Path) -> dict:
    from django.db import connection, transaction

    columns = ", ".join(f"{column} text" for column in COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_copy")
        cursor.execute(f"CREATE TABLE bench_raw_copy ({columns})")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, path.open(encoding="utf-8") as file:
        cursor.copy_expert("COPY bench_raw_copy FROM STDIN WITH (FORMAT csv, HEADER true)", file)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM bench_raw_copy")
        rows = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_raw_copy")
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds)}


def _export(folder: Path, query: str) -> dict:
    script = folder / "export_decisions.py"
    script.write_text(EXPORT_SCRIPT)
    seconds, peak, output = _run_child([str(script), query])
    first, total, size = output.split()
    return {
        "query": query or "(all)",
        "first_bytes_seconds": round(float(first), 3),
        "seconds": round(float(total), 2),
        "megabytes": round(int(size) / (1024 * 1024), 1),
        "process_seconds": round(seconds, 2),
        "peak_memory_mb": peak,
    }


def run() -> dict:
    from reviews.models import CancellationDecision

    with tempfile.TemporaryDirectory() as folder:
        full = write_national_extract(Path(folder) / "national.csv", rows=ROWS)
        small = write_national_extract(Path(folder) / "national-small.csv", rows=SMALL_ROWS)
        following = [
            write_national_extract(
                Path(folder) / f"national-next-{number}.csv", rows=ROWS, seed=SEED + number, first_number=number * ROWS
            )
            for number in range(1, LATER_LOADS + 1)
        ]
        megabytes = round(full.stat().st_size / (1024 * 1024), 1)
        raw_copy = _raw_copy(full)
        _truncate()
        small_import = _import_command(small)
        _truncate()
        fast = _import_command(full)
        stored = CancellationDecision.objects.count()
        reimport = _import_command(full)
        export_all = _export(Path(folder), "")
        export_tenth = _export(Path(folder), SMALL_EXPORT_QUERY)
        later_loads = []
        for path in following[:-1]:
            _settle()
            later_loads.append({"stored": CancellationDecision.objects.count(), **_import_command(path)})
        _settle()
        later_loads.append(_append_runs(following[-1], stored=CancellationDecision.objects.count()))
        upload_page = _upload_page_import(full, command=fast, folder=Path(folder))
    later, append = later_loads[0], later_loads[-1]
    return {
        "extract": {"rows": ROWS, "forces": 43, "seed": SEED, "megabytes": megabytes},
        "fast_path": fast,
        "fast_path_small_file": small_import,
        "fast_path_reimport_unchanged": reimport,
        "fast_path_later_load": later,
        "fast_path_later_loads": later_loads,
        "fast_path_append": append,
        "decisions_stored": stored,
        "raw_copy": raw_copy,
        "raw_copy_vs_fast": round(raw_copy["rows_per_second"] / fast["rows_per_second"], 1),
        "export_csv_all": export_all,
        "export_csv_tenth": export_tenth,
        "upload_page": upload_page,
        "targets": {
            "fast_path_rows_per_second": TARGET_ROWS_PER_SECOND,
            "append_rows_per_second": TARGET_APPEND_ROWS_PER_SECOND,
            "within_raw_copy": TARGET_WITHIN_RAW_COPY,
        },
    }


def report(figures: dict) -> str:
    fast, small, again = figures["fast_path"], figures["fast_path_small_file"], figures["fast_path_reimport_unchanged"]
    append = figures["fast_path_append"]
    raw = figures["raw_copy"]
    targets = figures["targets"]

    def row(name, figures, peak=True) -> str:
        memory = figures["peak_memory_mb"] if peak else ""
        return f"| {name} | {figures['rows']:,} | {figures['seconds']} | {figures['rows_per_second']:,} | {memory} |"

    def export(name, figures) -> str:
        timings = f"{figures['first_bytes_seconds']} | {figures['seconds']}"
        return f"| {name} | {figures['megabytes']} | {timings} | {figures['peak_memory_mb']} |"

    extract = figures["extract"]
    return "\n".join(
        [
            f"Decisions import: synthetic national extract, {extract['rows']:,} decisions of 43 forces "
            f"({extract['megabytes']} MB, seed {extract['seed']})",
            "",
            "| import | rows | seconds | rows per second | peak memory (MB) |",
            "| --- | ---: | ---: | ---: | ---: |",
            row("`import_decisions`, first load (process start to commit)", fast),
            row("`import_decisions`, first load of a tenth of the file", small),
            row("`import_decisions` again, every row unchanged", again),
            *(
                row(f"`import_decisions`, the next {load['rows']:,} into the {load['stored']:,} stored", load)
                for load in figures["fast_path_later_loads"]
            ),
            row("raw `COPY` into a table without constraints", raw, peak=False),
            "",
            f"Fast path: {fast['rows_per_second']:,} rows/s (target {targets['fast_path_rows_per_second']:,}); "
            f"raw COPY is {figures['raw_copy_vs_fast']}x faster (target: within {targets['within_raw_copy']}x).",
            f"Appending {append['rows']:,} into the {append['stored']:,} stored: {append['rows_per_second']:,} rows/s "
            f"(target {targets['append_rows_per_second']:,}){_append_runs_report(append)}.",
            "",
            "| CSV export | size (MB) | first bytes (s) | all (s) | peak memory (MB) |",
            "| --- | ---: | ---: | ---: | ---: |",
            export(f"all {figures['decisions_stored']:,} decisions", figures["export_csv_all"]),
            export(f"a tenth (`?{SMALL_EXPORT_QUERY}`)", figures["export_csv_tenth"]),
        ]
        + _upload_page_report(figures)
    )


def _append_runs_report(append: dict) -> str:
    if append.get("runs", 1) < 2:
        return ""
    each = ", ".join(f"{rate:,}" for rate in append["rows_per_second_each"])
    return f", the median of {append['runs']} runs, each into its own copy of the database ({each})"


# Through the upload page and the queue

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
JOB_PAGE = re.compile(r"/imports/(\d+)/$")


def _upload_page_import(path: Path, *, command: dict, folder: Path) -> dict:
    """The file into empty tables through the upload page and a worker: gunicorn and `manage.py jobs_worker` with
    the production settings on the benchmarks' database; a data steward signs in, uploads the file with "check
    only" off and reads the job's status until it is done. Upload to done, beside `command`'s first load."""
    from django.db import connections

    from bench.loadtest import production_environment, start_server, stop_server, wait_until_serving

    _truncate()
    password = _bench_steward()
    connections.close_all()
    environment = {
        **production_environment(database_url=os.environ["DATABASE_URL"], host="127.0.0.1"),
        "DJANGO_MEDIA_ROOT": str(folder / "uploads"),
    }
    environment.pop("REDIS_URL", None)  # the database queue, as a single server has it
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    with (folder / "gunicorn.log").open("w") as server_log, (folder / "worker.log").open("w") as worker_log:
        server = start_server(environment=environment, bind=f"127.0.0.1:{port}", workers=2, threads=4, log=server_log)
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "jobs_worker", "--no-tidy"],
            cwd=ROOT,
            env={**environment, "DJANGO_LOG_LEVEL": "INFO"},
            stdout=worker_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_serving(server, base_url)
            _wait_for(lambda: "Starting worker" in (folder / "worker.log").read_text(), "the worker to start")
            timings = _upload_and_follow(base_url, path, password=password)
        finally:
            stop_server(server)
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
    return _upload_figures(timings, command=command)


def _bench_steward() -> str:
    """A data steward for the benchmark, with a password made up for the run."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import Role

    password = secrets.token_urlsafe(16)
    steward, _ = User.objects.update_or_create(
        username="bench-steward", defaults={"password": make_password(password), "is_staff": True}
    )
    steward.groups.set([Group.objects.get(name=Role.DATA_STEWARD)])
    return password


def _wait_for(condition, what: str, *, within: float = 600) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"waited {within:.0f} s for {what}")
        time.sleep(0.1)


def _upload_and_follow(base_url: str, path: Path, *, password: str) -> dict:
    import requests

    browser = requests.Session()

    def token(url: str) -> str:
        page = browser.get(url, timeout=30)
        page.raise_for_status()
        return CSRF_TOKEN.search(page.text).group(1)

    signed_in = browser.post(
        f"{base_url}/sign-in/",
        data={"csrfmiddlewaretoken": token(f"{base_url}/sign-in/"), "username": "bench-steward", "password": password},
        allow_redirects=False,
        timeout=30,
    )
    if signed_in.status_code != 302:
        raise RuntimeError(f"the benchmark's data steward could not sign in (HTTP {signed_in.status_code})")
    form_token = token(f"{base_url}/imports/")
    started = time.perf_counter()
    with path.open("rb") as file:
        # "Check only" is a ticked checkbox on the form: left out, it is off.
        uploaded = browser.post(
            f"{base_url}/imports/",
            data={"csrfmiddlewaretoken": form_token, "kind": "decisions"},
            files={"file": (path.name, file, "text/csv")},
            allow_redirects=False,
            timeout=600,
        )
    upload_seconds = time.perf_counter() - started
    if uploaded.status_code != 302:
        raise RuntimeError(f"the upload was refused (HTTP {uploaded.status_code}): {uploaded.text[:500]}")
    job_id = int(JOB_PAGE.search(uploaded.headers["Location"]).group(1))
    polls = 0
    while True:
        polls += 1
        status = browser.get(f"{base_url}/imports/{job_id}/status.json", timeout=30).json()
        if status["finished"]:
            break
        time.sleep(0.1)
    return {
        "job_id": job_id,
        "seconds": time.perf_counter() - started,
        "upload_seconds": upload_seconds,
        "polls": polls,
        "status": status,
    }


def _upload_figures(timings: dict, *, command: dict) -> dict:
    from reviews.models import ImportJob

    job = ImportJob.objects.get(pk=timings["job_id"])
    status = timings["status"]
    if status["state"] != "done" or not status["counts"]:
        raise RuntimeError(f"the import through the upload page ended {status['state']}: {status['message']}")
    seconds = round(timings["seconds"], 2)
    return {
        "rows": job.rows_total,
        "state": status["state"],
        "counts": status["counts"],
        "seconds": seconds,
        "rows_per_second": round(job.rows_total / timings["seconds"]),
        "upload_seconds": round(timings["upload_seconds"], 2),
        "queue_wait_seconds": round((job.started_at - job.created_at).total_seconds(), 2),
        "job_seconds": round((job.finished_at - job.started_at).total_seconds(), 2),
        "status_reads": timings["polls"],
        "command_seconds": command["seconds"],
        "times_command": round(timings["seconds"] / command["seconds"], 2),
        "target_times_command": TARGET_UPLOAD_TIMES_COMMAND,
    }


def _upload_page_report(figures: dict) -> list[str]:
    upload = figures.get("upload_page")
    if not upload:
        return []
    verdict = "met" if upload["times_command"] <= upload["target_times_command"] else "NOT met"
    return [
        "",
        "| through the upload page and the queue | seconds |",
        "| --- | ---: |",
        f"| upload to done, {upload['rows']:,} rows | {upload['seconds']} |",
        f"| sending the file (the upload request) | {upload['upload_seconds']} |",
        f"| queued, until a worker took the job | {upload['queue_wait_seconds']} |",
        f"| the job, from the worker taking it to its outcome stored | {upload['job_seconds']} |",
        f"| `import_decisions`, the same first load, in the same run | {upload['command_seconds']} |",
        "",
        f"Upload to done takes {upload['times_command']}x the command line's time "
        f"(target: at most {upload['target_times_command']}x, {verdict}).",
    ]
