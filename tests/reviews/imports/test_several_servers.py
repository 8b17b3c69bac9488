"""Several servers at once, the production way: two gunicorn instances and two RQ workers on one PostgreSQL
database and Redis. A data steward uploads a file through one server, follows its check and clicks "Import now"
through the other, and follows the import through the first again.

It needs PostgreSQL (the servers are other processes) and a Redis server: `TEST_REDIS_URL`, by default
redis://127.0.0.1:6379/15, whose "imports" queue it empties. When `TEST_REDIS_URL` is not set and no Redis answers
there, it is skipped; when it is set (as CI sets it), Redis must answer."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.db import connection

from bench.national import write_national_extract
from reviews.models import CancellationDecision, ImportJob, ImportState
from tests.reviews.imports.processes import (
    ROOT,
    ServiceProcess,
    database_url,
    service_environment,
    start_worker,
    wait_until,
)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the servers are other processes: they need a database server"
    ),
    pytest.mark.django_db(transaction=True),
]

ROWS = 2_000
PASSWORD = "a long passphrase for the servers"
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
JOB_PAGE = re.compile(r"/imports/(\d+)/$")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_url() -> str:
    import redis
    from rq import Queue

    url = os.environ.get("TEST_REDIS_URL", "")
    try:
        server = redis.Redis.from_url(url or DEFAULT_REDIS_URL)
        server.ping()
    except redis.RedisError as error:
        if url:
            raise
        pytest.skip(f"no Redis server answers ({error}); set TEST_REDIS_URL to run this test")
    Queue("imports", connection=server).empty()
    return url or DEFAULT_REDIS_URL


@pytest.fixture
def steward(data_steward, settings):
    # Hashed the way the servers check it (the tests' own fast hasher is not one the service accepts).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    data_steward.set_password(PASSWORD)
    data_steward.save()
    return data_steward


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def servers(redis_url, steward, settings, tmp_path):
    """Two gunicorn instances and two workers, the production way, sharing the database, Redis, the secret key and
    the folder of stored uploads. Yields the two servers' addresses."""
    environment = service_environment(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=database_url(connection.settings_dict),
        REDIS_URL=redis_url,
        DJANGO_MEDIA_ROOT=str(tmp_path / "uploads"),
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="4",
    )
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert collected.returncode == 0, collected.stderr
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    processes, addresses = [], []
    try:
        for number in (1, 2):
            port = free_port()
            command = [gunicorn, "--config", "config/gunicorn.py", "--bind", f"127.0.0.1:{port}", "config.wsgi"]
            processes.append(ServiceProcess(f"web-{number}", command, environment=environment, logs=tmp_path))
            processes.append(start_worker(f"worker-{number}", environment=environment, logs=tmp_path))
            addresses.append(f"http://127.0.0.1:{port}")
        for address in addresses:
            wait_until(
                lambda address=address: answers(f"{address}/sign-in/"),
                within=60,
                what=f"{address} to serve",
                processes=processes,
            )
        yield addresses, processes
    finally:
        for process in processes:
            process.stop()


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def csrf_token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    assert page.status_code == 200, (url, page.status_code)
    return CSRF_TOKEN.search(page.text).group(1)


def followed(session: requests.Session, url: str, processes) -> dict:
    """The job's status, read again and again from `url` until it has finished."""

    def status() -> dict | None:
        response = session.get(url, timeout=30)
        assert response.status_code == 200, (url, response.status_code, response.text[:500])
        assert response.headers["Content-Type"].startswith("application/json")
        body = response.json()
        return body if body["finished"] else None

    return wait_until(status, within=120, what=f"{url} to finish", processes=processes)


def sign_in(browser: requests.Session, server: str) -> None:
    token = csrf_token(browser, f"{server}/sign-in/")
    signed_in = browser.post(
        f"{server}/sign-in/",
        data={"csrfmiddlewaretoken": token, "username": "steward", "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]


def upload_for_a_check(browser: requests.Session, server: str, extract) -> int:
    """The id of the job that checks `extract`, uploaded through `server`'s upload page."""
    token = csrf_token(browser, f"{server}/imports/")
    with extract.open("rb") as file:
        uploaded = browser.post(
            f"{server}/imports/",
            data={"csrfmiddlewaretoken": token, "kind": "decisions", "check_only": "on"},
            files={"file": ("extract.csv", file, "text/csv")},
            allow_redirects=False,
            timeout=60,
        )
    assert uploaded.status_code == 302, uploaded.text[:2000]
    return int(JOB_PAGE.search(uploaded.headers["Location"]).group(1))


def test_an_upload_through_one_server_is_followed_and_imported_through_another(servers, redis_url, tmp_path):
    import redis
    from rq import Queue
    from rq.registry import FinishedJobRegistry

    (first, second), processes = servers
    extract = write_national_extract(tmp_path / "extract.csv", rows=ROWS)
    browser = requests.Session()

    # Signed in through the first server, uploads the file there, for a check...
    sign_in(browser, first)
    check_id = upload_for_a_check(browser, first, extract)

    # ...follows the check through the second, with the same session...
    check = followed(browser, f"{second}/imports/{check_id}/status.json", processes)
    assert check["state"] == ImportState.DONE, check
    assert check["counts"] == {"new": ROWS, "updated": 0, "unchanged": 0}
    assert check["can_import"]
    assert not CancellationDecision.objects.exists()

    # ...clicks "Import now" there...
    token = csrf_token(browser, f"{second}/imports/{check_id}/")
    confirmed = browser.post(
        f"{second}/imports/{check_id}/import/",
        data={"csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=30,
    )
    assert confirmed.status_code == 302, confirmed.text[:2000]
    import_id = ImportJob.objects.get(checked_by_id=check_id).pk

    # ...and follows the import through the first.
    done = followed(browser, f"{first}/imports/{import_id}/status.json", processes)
    assert done["state"] == ImportState.DONE, done
    assert done["counts"] == {"new": ROWS, "updated": 0, "unchanged": 0}
    assert CancellationDecision.objects.count() == ROWS
    reference = extract.read_text().splitlines()[1].split(",")[1]
    assert CancellationDecision.objects.filter(crime_record__reference=reference).exists()

    # Both jobs went through Redis: RQ's workers ran them.
    queue = Queue("imports", connection=redis.Redis.from_url(redis_url))
    ran = set(FinishedJobRegistry(queue=queue).get_job_ids())
    task_ids = set(ImportJob.objects.filter(pk__in=[check_id, import_id]).values_list("task_id", flat=True))
    assert len(task_ids) == 2
    assert task_ids <= ran
