"""`make loadtest` (`python -m bench.loadtest`): the service under load, served the production way.

1. Fills its own PostgreSQL database (`LOADTEST_DATABASE_URL`, created when missing) at national scale with the
   summaries benchmark's loader (200,000 decisions, five signed-off audit rounds per force), then gives each of
   20 auditors an audit in progress with reviews to do, and adds 5 supervisors.
2. Starts gunicorn with the production settings (`config/gunicorn.py`) on 127.0.0.1, its workers x threads kept
   below what PostgreSQL's `max_connections` leaves free.
3. From this process, over HTTP on the loopback address only: each auditor signs in once, then opens a review
   page, reads its CSRF token and version, and saves a draft through the form ("Save draft"), review after
   review; each supervisor signs in once, then reads the national comparison and force results pages. It runs
   for `--seconds` (60 by default, at most 600) or `--max-requests`, whichever comes first.
4. Stops gunicorn, whatever happened, then checks every review an auditor was told was saved ("Draft ... saved"
   on the page) against the database: it must hold the last answers that auditor was told were saved.

Requests per second, p50/p95/p99 latency, errors and lost updates go to `bench/results/loadtest.json` and a
table. The command fails when any request failed or any update was lost.
"""

import argparse
import ipaddress
import json
import math
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cancellation_review_loadtest"
AUDITORS = 20
SUPERVISORS = 5
REVIEWS_PER_AUDITOR = 12
SAVES_PER_REVIEW = 3  # an auditor saves a draft of a review a few times before moving on
MAX_SECONDS = 600
REQUEST_TIMEOUT = 30  # seconds; a request that takes longer counts as an error
SIGN_IN_LIMIT = 300  # seconds for everyone to sign in before the timed part starts
# Connections PostgreSQL must keep free besides gunicorn's: this process's own, and room for anything else.
SPARE_CONNECTIONS = 5

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
SAVED = "Draft of the review of"
REFUSED = "Your changes were not saved"
# The audits in progress cover the extract's last financial year.
PERIOD = (date(2025, 4, 1), date(2026, 3, 31))


# Preparing the data


@dataclass
class Dataset:
    password: str
    auditors: dict[str, list[int]]  # username: ids of the reviews assigned to them
    supervisors: list[str]
    force_codes: list[str]
    decisions: int
    signed_off_audits: int
    load_seconds: float


def prepare(*, auditors: int, supervisors: int) -> Dataset:
    """Load the national dataset and the load test's users. Runs in this process, with Django set up."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import transaction

    from accounts.models import User
    from accounts.roles import Role
    from bench.summaries import load_national_dataset
    from forces.models import Force
    from reviews.models import Audit, AuditStatus, CancellationDecision

    started = time.perf_counter()
    load_national_dataset()
    password = secrets.token_urlsafe(16)
    # One hash for everyone: each hashing takes a deliberate fraction of a second.
    hashed = make_password(password)
    auditor_group, supervisor_group = Group.objects.get(name=Role.AUDITOR), Group.objects.get(name=Role.SUPERVISOR)
    forces = list(Force.objects.order_by("code"))
    assigned: dict[str, list[int]] = {}

    def user(username: str, group: Group) -> User:
        # Kept from one run to the next: their sign-ins are in the access records, which are never deleted.
        person, _ = User.objects.update_or_create(username=username, defaults={"password": hashed})
        person.groups.set([group])
        return person

    with transaction.atomic():
        names = [f"loadtest-supervisor-{number:02d}" for number in range(1, supervisors + 1)]
        planner = [user(name, supervisor_group) for name in names][0]
        for number in range(1, auditors + 1):
            auditor = user(f"loadtest-auditor-{number:02d}", auditor_group)
            force = forces[(number - 1) % len(forces)]
            assigned[auditor.username] = audit_in_progress(auditor=auditor, force=force, seed=number, planner=planner)
    return Dataset(
        password=password,
        auditors=assigned,
        supervisors=names,
        force_codes=[force.code for force in forces],
        decisions=CancellationDecision.objects.count(),
        signed_off_audits=Audit.objects.filter(status=AuditStatus.SIGNED_OFF).count(),
        load_seconds=round(time.perf_counter() - started, 1),
    )


def audit_in_progress(*, auditor, force, seed: int, planner) -> list[int]:
    """An audit of `force` in progress, planned by `planner`, with `REVIEWS_PER_AUDITOR` of its decisions
    assigned to `auditor`; the ids of those reviews."""
    from reviews.models import Audit, AuditCategory, AuditStatus, CancellationDecision, OffenceCategory, Review

    audit = Audit.objects.create(
        force=force,
        name=f"Load test: {auditor.username}",
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        status=AuditStatus.IN_PROGRESS,
        seed=seed,
        created_by=planner,
    )
    AuditCategory.objects.bulk_create(
        AuditCategory(audit=audit, offence_category=category, sample_size=REVIEWS_PER_AUDITOR)
        for category in OffenceCategory.audited()
    )
    decisions = CancellationDecision.objects.filter(
        force=force,
        decided_on__range=PERIOD,
        crime_record__offence_category__in=OffenceCategory.audited(),
    ).order_by("pk")[:REVIEWS_PER_AUDITOR]
    reviews = Review.objects.bulk_create(
        Review(audit=audit, decision=decision, auditor=auditor, sample_position=position)
        for position, decision in enumerate(decisions)
    )
    return [review.pk for review in reviews]


def connection_budget(*, workers: int, threads: int) -> dict:
    """PostgreSQL's max_connections and the connections in use now; raises SystemExit when gunicorn's
    workers x threads (each thread keeps a connection) would not fit in what is left."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int"
        )
        max_connections, reserved = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pg_stat_activity")
        in_use = cursor.fetchone()[0]
    free = max_connections - reserved - in_use - SPARE_CONNECTIONS
    if workers * threads > free:
        raise SystemExit(
            f"{workers} workers x {threads} threads need {workers * threads} connections, but PostgreSQL has "
            f"only {free} free (max_connections {max_connections}, {in_use} in use): lower LOADTEST_WORKERS or "
            "LOADTEST_THREADS."
        )
    return {"max_connections": max_connections, "in_use_before": in_use, "gunicorn_connections": workers * threads}


# Serving


def production_environment(*, database_url: str, host: str) -> dict[str, str]:
    """The settings `make serve-prod` uses: production, over plain HTTP on this computer."""
    return {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": host,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
    }


def start_server(*, environment: dict, bind: str, workers: int, threads: int, log) -> subprocess.Popen:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--clear", "-v0"],
        cwd=ROOT,
        env=environment,
        check=True,
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return subprocess.Popen(  # noqa: S603 - our own gunicorn, our own arguments
        [str(gunicorn), "--config", "config/gunicorn.py", "--bind", bind, "config.wsgi"],
        cwd=ROOT,
        env={
            **environment,
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
            "GUNICORN_TIMEOUT": str(REQUEST_TIMEOUT * 2),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stopping it stops every worker
    )


def wait_until_serving(server: subprocess.Popen, base_url: str, *, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped on starting (exit code {server.returncode})")
        try:
            if requests.get(f"{base_url}/sign-in/", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still starting its workers
            pass
        time.sleep(0.25)
    raise RuntimeError(f"gunicorn did not answer within {within:.0f} seconds")


def stop_server(server: subprocess.Popen) -> None:
    """Stop gunicorn and its workers: gracefully, then by force."""
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=35)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    except ProcessLookupError:
        pass


# Driving


@dataclass
class Tally:
    """What the simulated users saw, shared between their threads."""

    seconds: float
    max_requests: int
    people: int
    deadline: float = math.inf  # set when everyone has signed in
    began: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    requests: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    told_saved: dict[int, dict[str, str]] = field(default_factory=dict)
    saves: int = 0
    signed_in: int = 0
    ended: float = 0.0
    refused: int = 0

    def __post_init__(self):
        self.ready = threading.Barrier(self.people, action=self.begin)

    def begin(self) -> None:
        """The timed part starts once everyone has signed in: the deliberately slow password hashing of a
        crowd signing in together is measured apart from the work that follows."""
        self.began = time.monotonic()
        self.deadline = self.began + self.seconds

    def signed_in_together(self) -> bool:
        try:
            self.ready.wait(timeout=SIGN_IN_LIMIT)
        except threading.BrokenBarrierError:
            self.stop.set()
            return False
        return True

    def going(self) -> bool:
        if time.monotonic() >= self.deadline:
            self.stop.set()
        return not self.stop.is_set()

    def fail(self, kind: str, error: str) -> None:
        """A response that came back but was not what the page should give."""
        with self.lock:
            self.errors[kind] += 1
            if len(self.error_samples) < 20:
                self.error_samples.append(f"{kind}: {error}")

    def record(self, kind: str, milliseconds: float) -> None:
        with self.lock:
            self.requests += 1
            self.latencies[kind].append(milliseconds)
            if self.requests >= self.max_requests:
                self.stop.set()


class Visitor:
    """One person's browser: a session with its cookies, timing each request it makes."""

    def __init__(self, base_url: str, tally: Tally):
        self.base_url = base_url
        self.tally = tally
        self.session = requests.Session()

    def request(self, kind: str, method: str, path: str, *, expect: int = 200, **kwargs) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base_url + path, timeout=REQUEST_TIMEOUT, **kwargs)
        except requests.RequestException as error:
            self.tally.record(kind, (time.perf_counter() - started) * 1000)
            self.tally.fail(kind, f"{path}: {error.__class__.__name__}")
            return None
        milliseconds = (time.perf_counter() - started) * 1000
        wrong = response.status_code != expect
        self.tally.record(kind, milliseconds)
        if wrong:
            self.tally.fail(kind, f"{path}: HTTP {response.status_code}")
        return None if wrong else response

    def sign_in(self, username: str, password: str) -> bool:
        page = self.request("sign in", "GET", "/sign-in/")
        token = CSRF_TOKEN.search(page.text) if page is not None else None
        if token is None:
            return False
        response = self.request(
            "sign in",
            "POST",
            "/sign-in/",
            expect=302,
            data={"csrfmiddlewaretoken": token.group(1), "username": username, "password": password},
            allow_redirects=False,
        )
        if response is None or "sessionid" not in self.session.cookies:
            self.tally.fail("sign in", f"{username} was not signed in")
            return False
        with self.tally.lock:
            self.tally.signed_in += 1
        return True


def auditor(base_url: str, tally: Tally, username: str, password: str, reviews: list[int], think: float) -> None:
    """Save drafts of each assigned review in turn, SAVES_PER_REVIEW times each before moving on: the page a
    save leads to (the review again, with its new version) is the form for the next save, as for a person."""
    visitor = Visitor(base_url, tally)
    signed_in = visitor.sign_in(username, password)
    if not (tally.signed_in_together() and signed_in):
        return
    answers = ["yes", "cannot_tell"]
    saves, page = 0, None
    while tally.going():
        review = reviews[(saves // SAVES_PER_REVIEW) % len(reviews)]
        path = f"/reviews/{review}/"
        if page is None or saves % SAVES_PER_REVIEW == 0:
            page = visitor.request("review page", "GET", path)
        token = CSRF_TOKEN.search(page.text) if page is not None else None
        version = VERSION.search(page.text) if page is not None else None
        if token is None or version is None:
            if page is not None:
                tally.fail("review page", f"{path}: no form on the page")
            page = None
            time.sleep(think)
            continue
        saves += 1
        sent = {"decision_correct": answers[saves % len(answers)], "notes": f"{username}, save {saves}"}
        response = visitor.request(
            "save draft",
            "POST",
            path,
            expect=302,
            data={"csrfmiddlewaretoken": token.group(1), "version": version.group(1), "action": "draft", **sent},
            allow_redirects=False,
        )
        # The page the save leads to says whether it was kept: that is what the auditor is told.
        page = visitor.request("review page", "GET", response.headers["Location"]) if response is not None else None
        if page is not None and SAVED in page.text:
            with tally.lock:
                tally.saves += 1
                tally.told_saved[review] = sent
        elif page is not None and REFUSED in page.text:
            with tally.lock:
                tally.refused += 1
        elif page is not None:
            tally.fail("save draft", f"{path}: neither saved nor refused")
        time.sleep(think)


def supervisor(base_url: str, tally: Tally, username: str, password: str, codes: list[str], think: float) -> None:
    visitor = Visitor(base_url, tally)
    signed_in = visitor.sign_in(username, password)
    if not (tally.signed_in_together() and signed_in):
        return
    pages = ["/national/", "/national/?sort=-rape", *(f"/forces/{code}/" for code in codes)]
    # Every third page is the national comparison (plain or sorted); the others are forces' results in turn,
    # each supervisor starting at another force.
    turn = int(username.rsplit("-", 1)[1]) * 7
    while tally.going():
        turn += 1
        path = pages[turn % 2] if turn % 3 == 0 else pages[2 + turn % len(codes)]
        visitor.request("national page" if path.startswith("/national/") else "force page", "GET", path)
        time.sleep(think)


def drive(*, base_url: str, dataset: Dataset, seconds: float, max_requests: int, think: float) -> Tally:
    tally = Tally(seconds=seconds, max_requests=max_requests, people=len(dataset.auditors) + len(dataset.supervisors))
    # Daemon threads: one stuck past every limit cannot keep the load test (and so gunicorn) running.
    threads = [
        threading.Thread(target=auditor, args=(base_url, tally, name, dataset.password, reviews, think), daemon=True)
        for name, reviews in dataset.auditors.items()
    ] + [
        threading.Thread(
            target=supervisor,
            args=(base_url, tally, name, dataset.password, dataset.force_codes, think),
            daemon=True,
        )
        for name in dataset.supervisors
    ]
    hard_limit = time.monotonic() + SIGN_IN_LIMIT + seconds + 2 * REQUEST_TIMEOUT
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, hard_limit - time.monotonic()))
    tally.stop.set()
    tally.ended = time.monotonic()
    return tally


# Checking and reporting


def lost_updates(told_saved: dict[int, dict[str, str]]) -> list[int]:
    """Reviews whose stored answers are not the last ones their auditor was told were saved."""
    from reviews.models import Review

    stored = Review.objects.in_bulk(list(told_saved))
    return sorted(
        review
        for review, sent in told_saved.items()
        if review not in stored
        or stored[review].decision_correct != sent["decision_correct"]
        or stored[review].notes != sent["notes"]
    )


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of `values` (sorted): the smallest value with at least `share` of them at or
    below it."""
    if not values:
        return 0.0
    return round(values[max(1, math.ceil(share * len(values))) - 1], 1)


def latency(values: list[float]) -> dict:
    values = sorted(values)
    return {
        "requests": len(values),
        "p50_ms": percentile(values, 0.50),
        "p95_ms": percentile(values, 0.95),
        "p99_ms": percentile(values, 0.99),
    }


def report(figures: dict) -> str:
    lines = [
        "Load test: gunicorn with the production settings on PostgreSQL, driven over 127.0.0.1",
        f"  {figures['decisions']:,} decisions, {figures['signed_off_audits']} signed-off audits; "
        f"{figures['auditors']} auditors saving drafts, {figures['supervisors']} supervisors reading results",
        f"  gunicorn {figures['workers']} workers x {figures['threads']} threads "
        f"(PostgreSQL max_connections {figures['max_connections']}); {figures['seconds']} s, think time "
        f"{figures['think_seconds']} s",
        f"  {'requests':<16} {'count':>7} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}",
    ]
    for kind, row in {**figures["by_kind"], "all but sign-in": figures["all"]}.items():
        lines.append(
            f"  {kind:<16} {row['requests']:>7} {row['errors']:>7} {row['p50_ms']:>8} {row['p95_ms']:>8} "
            f"{row['p99_ms']:>8}"
        )
    lines += [
        f"  {figures['requests_per_second']} requests per second after signing in; {figures['errors']} errors",
        f"  {figures['saves_told_saved']} saves told saved over {figures['reviews_saved']} reviews, "
        f"{figures['saves_refused']} refused as stale; {figures['lost_updates']} lost updates",
        f"  verdict: {'PASS' if figures['passed'] else 'FAIL'}",
    ]
    return "\n".join(lines)


def bounded(value: str) -> float:
    seconds = float(value)
    if not 1 <= seconds <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"between 1 and {MAX_SECONDS} seconds")
    return seconds


def arguments_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=bounded, default=float(os.environ.get("LOADTEST_SECONDS", 60)))
    parser.add_argument("--max-requests", type=int, default=int(os.environ.get("LOADTEST_MAX_REQUESTS", 200_000)))
    parser.add_argument("--think", type=float, default=float(os.environ.get("LOADTEST_THINK_SECONDS", 0.25)))
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOADTEST_PORT", 8089)))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("LOADTEST_WORKERS", 2)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("LOADTEST_THREADS", 4)))
    return parser


def set_up_django(parser: argparse.ArgumentParser, database_url: str) -> None:
    """Django in this process, on the load test's own PostgreSQL database (created when missing), migrated."""
    from config.ensure_database import ensure_database

    ensure_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    if connections["default"].vendor != "postgresql":
        parser.error("LOADTEST_DATABASE_URL must name a PostgreSQL database")
    call_command("migrate", verbosity=0, interactive=False)


def serve_and_drive(*, arguments: argparse.Namespace, dataset: Dataset, database_url: str, host: str) -> Tally:
    """Start gunicorn, drive it, and stop it whatever happened."""
    base_url = f"http://{host}:{arguments.port}"
    environment = production_environment(database_url=database_url, host=host)
    with tempfile.NamedTemporaryFile("w+", prefix="loadtest-gunicorn-", suffix=".log", delete=False) as log:
        print(f"Starting gunicorn on {base_url} (log: {log.name}) ...", flush=True)
        server = start_server(
            environment=environment,
            bind=f"{host}:{arguments.port}",
            workers=arguments.workers,
            threads=arguments.threads,
            log=log,
        )
        try:
            wait_until_serving(server, base_url)
            print(f"Signing everyone in, then driving it for {arguments.seconds:.0f} seconds ...", flush=True)
            return drive(
                base_url=base_url,
                dataset=dataset,
                seconds=arguments.seconds,
                max_requests=arguments.max_requests,
                think=arguments.think,
            )
        finally:
            stop_server(server)


def run_figures(*, dataset: Dataset, tally: Tally, arguments: argparse.Namespace, budget: dict) -> dict:
    """What `loadtest.json` holds, with the verdict: passed when no request failed, no update was lost, some
    saves were kept and everyone signed in."""
    lost = lost_updates(tally.told_saved)
    # The timed part: everything after the sign-ins, which are reported on their own row.
    elapsed = max(tally.ended - tally.began, 1e-9) if tally.began else 0.0
    timed = {kind: values for kind, values in tally.latencies.items() if kind != "sign in"}
    everything = [value for values in timed.values() for value in values]
    errors = sum(tally.errors.values())
    signed_in = tally.signed_in
    figures = {
        "decisions": dataset.decisions,
        "signed_off_audits": dataset.signed_off_audits,
        "auditors": len(dataset.auditors),
        "supervisors": len(dataset.supervisors),
        "reviews_assigned": sum(len(reviews) for reviews in dataset.auditors.values()),
        "load_seconds": dataset.load_seconds,
        "workers": arguments.workers,
        "threads": arguments.threads,
        **budget,
        "seconds": round(elapsed, 1),
        "think_seconds": arguments.think,
        "requests": len(everything),
        "requests_per_second": round(len(everything) / elapsed, 1) if elapsed else 0.0,
        "errors": errors,
        "error_samples": tally.error_samples,
        "signed_in": signed_in,
        "all": {**latency(everything), "errors": sum(tally.errors.get(kind, 0) for kind in timed)},
        "by_kind": {
            kind: {**latency(values), "errors": tally.errors.get(kind, 0)}
            for kind, values in sorted(tally.latencies.items())
        },
        "saves_told_saved": tally.saves,
        "saves_refused": tally.refused,
        "reviews_saved": len(tally.told_saved),
        "lost_updates": len(lost),
        "lost_update_reviews": lost[:20],
    }
    figures["passed"] = errors == 0 and not lost and tally.saves > 0 and signed_in == AUDITORS + SUPERVISORS
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = arguments_parser()
    arguments = parser.parse_args(argv)
    host = "127.0.0.1"
    assert ipaddress.ip_address(host).is_loopback  # the load goes to this computer only

    database_url = os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_DATABASE_URL)
    set_up_django(parser, database_url)
    from django.db import connections

    print("Loading the national dataset ...", flush=True)
    dataset = prepare(auditors=AUDITORS, supervisors=SUPERVISORS)
    budget = connection_budget(workers=arguments.workers, threads=arguments.threads)
    connections.close_all()

    tally = serve_and_drive(arguments=arguments, dataset=dataset, database_url=database_url, host=host)
    figures = run_figures(dataset=dataset, tally=tally, arguments=arguments, budget=budget)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "loadtest.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(report(figures))
    print("(figures written to bench/results/loadtest.json)")
    return 0 if figures["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
