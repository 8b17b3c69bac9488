"""Timing shared by the benchmarks: median and worst of several runs, with the most queries any run made."""

import statistics
import time
from collections.abc import Callable


def timed(call: Callable[[], object], *, repeats: int) -> dict:
    """Run `call()` `repeats` times; return `median_ms`, `max_ms` and `queries` (the most of any run)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    timings, query_counts = [], []
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
        query_counts.append(len(queries))
        reset_queries()
    return {
        "median_ms": round(statistics.median(timings), 1),
        "max_ms": round(max(timings), 1),
        "queries": max(query_counts),
    }


def page_render(view, request_factory, path: str, user, query: dict) -> Callable[[], None]:
    """A call that renders `view` at `path` with `query` for `user`, as the browser would ask for it."""

    def render() -> None:
        request = request_factory.get(path, query)
        request.user = user
        response = view(request)
        response.render()
        assert response.status_code == 200, response.status_code

    return render
