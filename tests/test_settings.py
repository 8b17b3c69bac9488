"""Settings as a deployment sees them: each case runs manage.py in a fresh process with its own environment."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {
        key: value for key, value in os.environ.items() if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deployment_checklist_with_no_warnings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="reviews.example.org",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_ENV="production", DJANGO_ALLOWED_HOSTS="reviews.example.org")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = manage("check", DJANGO_ENV="production", DJANGO_SECRET_KEY=secrets.token_urlsafe(50))

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def setting(expression: str, **env: str) -> str:
    """The value of `expression` (of django.conf.settings) in a process started with `env`."""
    result = manage("shell", "--no-imports", "-c", f"from django.conf import settings; print({expression})", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_debug_is_off_unless_asked_for():
    production = {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "reviews.example.org",
    }

    assert setting("settings.DEBUG") == "False"
    assert setting("settings.DEBUG", **production) == "False"
    assert setting("settings.DEBUG", DJANGO_DEBUG="true") == "True"


def test_database_url_selects_postgresql_and_sqlite_is_the_default():
    engine = "settings.DATABASES['default']['ENGINE']"

    assert setting(engine) == "django.db.backends.sqlite3"
    assert setting(engine, DATABASE_URL="postgres://u@127.0.0.1:5432/x") == "django.db.backends.postgresql"
