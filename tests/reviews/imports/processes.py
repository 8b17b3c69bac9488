"""The service's own processes for the tests that need real ones: background-jobs workers and web servers, each
in a process group of its own (so that killing one kills everything it started), its output in a log file."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[3]
T = TypeVar("T")


def service_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any of the service's settings, then `settings`."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    return {**inherited, "PYTHONUNBUFFERED": "1", **settings}


def database_url(settings_dict: dict) -> str:
    """The URL of a PostgreSQL database connection's settings (the tests' database, say)."""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or 5432
    return f"postgres://{settings_dict['USER']}{password}@{host}:{port}/{settings_dict['NAME']}"


class ServiceProcess:
    """One of the service's commands, running."""

    def __init__(self, name: str, command: list[str], *, environment: dict[str, str], logs: Path):
        self.name = name
        self.log_path = logs / f"{name}.log"
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as the out-of-memory killer or a lost machine would: no clean-up of any kind."""
        self._signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop it (a worker first finishes its job), then kill whatever is left."""
        self._signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=20)
        self._signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def _signal(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, number)


def start_worker(name: str, *, environment: dict[str, str], logs: Path) -> ServiceProcess:
    command = [sys.executable, "manage.py", "jobs_worker", "--no-tidy", "--interval", "0.1", "--name", name]
    return ServiceProcess(name, command, environment=environment, logs=logs)


def wait_until(condition: Callable[[], T], *, within: float, what: str, processes=()) -> T:
    """Poll `condition()` until it returns something true, and return that; fail after `within` seconds, or at
    once when one of `processes` has stopped, with their logs."""
    deadline = time.monotonic() + within
    while True:
        value = condition()
        if value:
            return value
        stopped = [process for process in processes if not process.running()]
        if stopped or time.monotonic() > deadline:
            logs = "\n".join(f"--- {process.name}:\n{process.log()[-3000:]}" for process in processes)
            reason = f"{stopped[0].name} stopped" if stopped else f"not within {within:.0f} s"
            raise AssertionError(f"waiting for {what}: {reason}\n{logs}")
        time.sleep(0.05)
