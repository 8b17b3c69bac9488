"""`make run` and `make serve-prod`: a web server and a background-jobs worker side by side (`config.serve`)."""

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from config.serve import run_side_by_side

ROOT = Path(__file__).resolve().parent.parent

STOPS_AT_ONCE = "import sys, time; print('starting'); time.sleep(0.5); sys.exit(3)"
RUNS_UNTIL_INTERRUPTED = """
import sys, time
print('waiting', flush=True)
try:
    time.sleep(60)
except KeyboardInterrupt:
    print('interrupted', flush=True)
    sys.exit(0)
"""


def test_when_one_process_stops_the_other_is_stopped_and_its_exit_code_is_kept():
    output = io.StringIO()
    started = time.monotonic()

    exit_code = run_side_by_side(
        {"web": [sys.executable, "-c", STOPS_AT_ONCE], "worker": [sys.executable, "-c", RUNS_UNTIL_INTERRUPTED]},
        output=output,
    )

    assert exit_code == 3
    assert time.monotonic() - started < 20
    lines = output.getvalue().splitlines()
    assert "   web | starting" in lines
    assert "worker | waiting" in lines
    assert "web stopped (exit code 3): stopping the others" in lines
    assert "worker | interrupted" in lines


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes_with(variable: str) -> list[int]:
    """Ids of this user's processes whose environment holds `variable` (NAME=value)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environment = (entry / "environ").read_bytes().split(b"\0")
            except OSError:  # gone, or not ours
                continue
            if variable.encode() in environment:
                found.append(int(entry.name))
    return found


def test_the_development_server_and_a_worker_start_together_and_ctrl_c_stops_both(tmp_path):
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")},
        "DATABASE_URL": database,
        "DJANGO_DEBUG": "true",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "uploads"),
        "DJANGO_JOB_PROGRESS_DIR": str(tmp_path / "progress"),
    }
    environment.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=environment, check=True)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "config.serve", "--development", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "Starting worker" not in log.read_text() or not serving(port):
            assert launcher.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert processes_with(f"DATABASE_URL={database}")

        launcher.send_signal(signal.SIGINT)  # Ctrl-C

        assert launcher.wait(timeout=30) == 0
    finally:
        if launcher.poll() is None:
            launcher.kill()
    # Nothing left running: neither server nor worker, nor their reloaders' processes.
    deadline = time.monotonic() + 10
    while processes_with(f"DATABASE_URL={database}") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(f"DATABASE_URL={database}") == []
    assert not serving(port)
    text = log.read_text()
    assert f"   web | Starting development server at http://127.0.0.1:{port}/" in text
    assert "worker | " in text


def serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in/", timeout=5) as page:  # noqa: S310
            return page.status == 200
    except OSError:
        return False
