"""Serving the production way: gunicorn with production settings, collected static files, PostgreSQL."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import environ
import psycopg2
import pytest
from django.db import connection

from config.ensure_database import ensure_database
from tests.test_settings import manage, setting

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
}


def test_sign_in_limits_come_from_the_environment():
    assert setting("settings.AXES_FAILURE_LIMIT") == "5"
    assert setting("settings.AXES_COOLOFF_TIME.total_seconds()") == "1800.0"
    assert setting("settings.AXES_FAILURE_LIMIT", DJANGO_SIGN_IN_FAILURE_LIMIT="8") == "8"
    assert setting("settings.AXES_COOLOFF_TIME.total_seconds()", DJANGO_SIGN_IN_LOCKOUT_MINUTES="10") == "600.0"


def test_production_cookies_are_secure_and_only_local_plain_http_turns_that_off():
    cookies = "(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY)"

    assert setting(cookies, **PRODUCTION) == "(True, True, True)"
    assert setting(cookies, **PRODUCTION, DJANGO_SECURE_COOKIES="false") == "(False, False, True)"


def test_production_static_files_are_hashed_and_compressed():
    storage = "settings.STORAGES['staticfiles']['BACKEND']"

    assert setting(storage, **PRODUCTION) == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (a local http URL built above)
    return urllib.request.urlopen(request, timeout=10)  # noqa: S310


def test_gunicorn_serves_the_application_with_production_settings(tmp_path):
    """What `make serve-prod` does, on a spare port: collect the static files, start gunicorn, open a page."""
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("DJANGO_") and key != "DATABASE_URL"},
        **PRODUCTION,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        # The sign-in page and static files need no database; an empty one proves it.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
    }
    collected = manage("collectstatic", "--noinput", "-v0", **{k: v for k, v in env.items() if k.startswith("DJ")})
    assert collected.returncode == 0, collected.stderr
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "--config", "config/gunicorn.py", "--bind", f"127.0.0.1:{port}", "config.wsgi"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = fetch(f"http://127.0.0.1:{port}/sign-in/")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not answer within a minute"
                time.sleep(0.5)

        html = page.read().decode()
        assert page.status == 200
        assert page.headers["Server"].startswith("gunicorn")
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"
        # Over plain local HTTP the CSRF cookie is not marked secure, or the form could never be sent.
        assert "Secure" not in page.headers["Set-Cookie"]
        # Static files have content-hashed names, are served compressed and may be cached for ever.
        stylesheet = html.split('rel="stylesheet" href="')[1].split('"')[0]
        assert stylesheet.startswith("/static/css/application.")
        assert stylesheet.count(".") == 2
        css = fetch(f"http://127.0.0.1:{port}{stylesheet}", **{"Accept-Encoding": "gzip"})
        assert css.status == 200
        assert css.headers["Content-Encoding"] == "gzip"
        assert "max-age=315360000" in css.headers["Cache-Control"]
    finally:
        server.terminate()
        server.wait(timeout=30)


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="creates a PostgreSQL database")


@postgresql_only
@pytest.mark.django_db
def test_the_database_is_created_once_when_missing():
    name = f"{connection.settings_dict['NAME']}_created_{uuid.uuid4().hex[:8]}"
    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{name}"
    try:
        assert ensure_database(url) is True
        assert ensure_database(url) is False
    finally:
        config = environ.Env.db_url_config(url)
        admin = psycopg2.connect(dbname="postgres", user=config["USER"], host=config["HOST"], port=config["PORT"])
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def test_sqlite_needs_no_database_created(tmp_path):
    assert ensure_database(f"sqlite:///{tmp_path / 'db.sqlite3'}") is False
