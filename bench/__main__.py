"""`python -m bench [NAME ...]`: run the benchmarks (all of them by default) against their own PostgreSQL
database, print each one's table and write its figures to `bench/results/<name>.json`.

The database is `BENCH_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/cancellation_review_bench`).
It belongs to the benchmarks: it is created when missing, and each benchmark empties the tables it fills.
"""

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench import maintenance_connection

# Each name is a module of this package with `run() -> dict` (the figures) and `report(figures) -> str`.
BENCHMARKS = ["imports", "sampling", "summaries", "access_records", "quality", "remedies"]
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cancellation_review_bench"


def _ensure_database(url: str) -> None:
    from psycopg2 import sql

    name = urlsplit(url).path.lstrip("/")
    connection = maintenance_connection(url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()


def reference_loop_seconds() -> float:
    """Seconds this machine takes for a fixed piece of pure-Python work (the sum of the first ten million squares):
    how fast it was running, for comparing figures taken at different times on a shared machine."""
    started = time.perf_counter()
    sum(number * number for number in range(10_000_000))
    return round(time.perf_counter() - started, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one of {', '.join(BENCHMARKS)} (default: all)")
    names = parser.parse_args(argv).names or BENCHMARKS
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"no benchmark called {', '.join(unknown)}")

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    _ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)

    RESULTS.mkdir(exist_ok=True)
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        load_before = [round(load, 2) for load in os.getloadavg()]
        reference = reference_loop_seconds()
        started = time.perf_counter()
        figures = module.run()
        figures["benchmark_seconds"] = round(time.perf_counter() - started, 1)
        # Figures are only comparable on a machine doing nothing else (the load says whether it was) and running
        # at the same speed: on a shared host it varies by half, which the reference loop shows.
        figures["machine"] = {
            "cpus": os.cpu_count(),
            "load_average_1_5_15_min_before": load_before,
            "reference_loop_seconds_before_after": [reference, reference_loop_seconds()],
        }
        (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")
        print(module.report(figures))
        print(f"(figures written to bench/results/{name}.json)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
