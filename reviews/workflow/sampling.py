"""Reproducible stratified sampling and the sample-size arithmetic shown while planning an audit.

A category's population is the force's decisions in the audit's period and category, in the order of
their crime references. The order depends on nothing the database chooses (not primary keys), so the
same records give the same population after a dump and restore, or on another machine. The sample is
the first k items of a permutation of that population seeded from the audit's seed and the category:
asking for more items later extends the permutation's prefix, so the first k never change.
"""

import hashlib
import math
import random
import secrets
from collections.abc import Sequence

from reviews.results.statistics import wilson_interval

# Incorrect rates the planning page shows a margin of error for.
PLANNING_RATES = (0.05, 0.10, 0.20, 0.30)


def propose_seed() -> int:
    """A fresh random seed for a new audit (stored with it, so the draw can be repeated)."""
    return secrets.randbelow(2**31)


def population_checksum(references: Sequence[str]) -> str:
    """SHA-256 (hex) of the population's crime references in order, one per line. Anyone holding the same
    list of references can recompute it to check which population a sample was drawn from."""
    digest = hashlib.sha256()
    for reference in references:
        digest.update(reference.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def draw_order(population_size: int, *, seed: int, category: str) -> list[int]:
    """Positions 0..population_size-1 in the order they are drawn for `category` under `seed`.

    `random.Random` seeded with a string is stable across Python runs and processes (it does not use the
    salted `hash()`), so the same seed and category give the same order anywhere.
    """
    order = list(range(population_size))
    random.Random(f"{seed}:{category}").shuffle(order)  # noqa: S311 - reproducibility, not secrecy
    return order


def margins_of_error(sample_size: int, rates: Sequence[float] = PLANNING_RATES) -> list[dict]:
    """For a planned `sample_size`, what a result at each incorrect rate would look like: the count it
    means, and its 95% interval. Rows of {"rate", "incorrect", "low", "high"} (shares of 1)."""
    rows = []
    for rate in rates:
        # Halves round up (not to even, as round() does), as the planning page's script does too.
        incorrect = math.floor(rate * sample_size + 0.5)
        low, high = wilson_interval(incorrect, sample_size) if sample_size > 0 else (0.0, 1.0)
        rows.append({"rate": rate, "incorrect": incorrect, "low": low, "high": high})
    return rows
