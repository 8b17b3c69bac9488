"""A web server and a background-jobs worker side by side, in one terminal: `make run` and `make serve-prod`.

    python -m config.serve --development 127.0.0.1:8000   # manage.py runserver + manage.py jobs_worker --reload
    python -m config.serve 127.0.0.1:8000                 # gunicorn (config/gunicorn.py) + manage.py jobs_worker

Each runs as a child process in a process group of its own, and each line it prints is shown after its name
("web" or "worker"). When either stops, the other is stopped too, and this command exits with the code of the
one that stopped first: a server that cannot start (its port taken by another `make run`, say) leaves no worker
behind. Ctrl-C or SIGTERM stops both: the worker first finishes the job it is running, if any; a second Ctrl-C
stops that job at once (its import is undone, and the job is marked failed).
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# After the second Ctrl-C, how long a process has to stop before it is killed.
KILL_AFTER_SECONDS = 10


class Child:
    """One command, run in its own process group, its output printed line by line after its name."""

    def __init__(self, name: str, command: list[str], *, width: int, output=None):
        self.name = name
        self.output = output or sys.stdout
        self.process = subprocess.Popen(  # noqa: S603 - this project's own commands
            command,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Its own process group: Ctrl-C in the terminal reaches this command only, which passes it on once
            # to each group (with a development server's or worker's reloader, to the reloaded process too).
            start_new_session=True,
        )
        self.prefix = f"{name:>{width}} | "
        self.reader = threading.Thread(target=self._copy_output, daemon=True)
        self.reader.start()

    def _copy_output(self) -> None:
        for line in iter(self.process.stdout.readline, b""):
            self.output.write(self.prefix + line.decode("utf-8", "replace"))
            self.output.flush()

    def running(self) -> bool:
        """Whether any process of its group is still running (a reloader's reloaded process may outlive the
        reloader itself)."""
        if self.process.poll() is None:
            return True
        try:
            os.killpg(self.process.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def signal(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, number)


def run_side_by_side(commands: dict[str, list[str]], *, output=None) -> int:
    """Run `commands` ({name: argv}) together until one stops or this process is asked to stop (SIGINT,
    SIGTERM); stop the others, and return the exit code of the first to stop (0 when asked to stop)."""
    requests: list[int] = []
    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    for number in previous:
        signal.signal(number, lambda number, frame: requests.append(number))
    width = max(len(name) for name in commands)
    children = [Child(name, command, width=width, output=output) for name, command in commands.items()]
    try:
        return _supervise(children, requests, output or sys.stdout)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for child in children:
            child.reader.join(timeout=1)


def _supervise(children: list[Child], requests: list[int], output) -> int:
    exit_code, stopping_since, asked = None, None, 0
    while True:
        stopped = [child for child in children if child.process.poll() is not None]
        if exit_code is None and stopped and not requests:
            exit_code = stopped[0].process.returncode
            output.write(f"{stopped[0].name} stopped (exit code {exit_code}): stopping the others\n")
        if exit_code is None and requests:
            exit_code = 0
        if exit_code is not None and asked < max(1, len(requests)):
            # First time: stop gently (the worker finishes its job). Again (another Ctrl-C): stop now.
            asked += 1
            if asked == 2:
                output.write("Stopping now: a job in progress is undone\n")
            elif any(child.running() for child in children):
                output.write("Stopping (press Ctrl-C again to stop a job in progress at once)\n")
            for child in children:
                if child.running():
                    child.signal(signal.SIGINT)
            stopping_since = time.monotonic()
        if exit_code is not None and not any(child.running() for child in children):
            return exit_code
        if asked >= 2 and time.monotonic() - stopping_since > KILL_AFTER_SECONDS:
            for child in children:
                child.signal(signal.SIGKILL)
        output.flush()
        time.sleep(0.1)


def commands(*, development: bool, address: str) -> dict[str, list[str]]:
    manage = [sys.executable, "manage.py"]
    if development:
        web = [*manage, "runserver", address]
        worker = [*manage, "jobs_worker", "--reload"]
    else:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        web = [gunicorn, "--config", "config/gunicorn.py", "--bind", address, "config.wsgi"]
        worker = [*manage, "jobs_worker"]
    return {"web": web, "worker": worker}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.serve", description=__doc__.splitlines()[0])
    parser.add_argument("address", nargs="?", default="127.0.0.1:8000", help="ADDRESS:PORT to serve on")
    parser.add_argument("--development", action="store_true", help="the development server instead of gunicorn")
    arguments = parser.parse_args(argv)
    return run_side_by_side(commands(development=arguments.development, address=arguments.address))


if __name__ == "__main__":
    sys.exit(main())
