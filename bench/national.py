"""A deterministic synthetic national extract: cancelled and transferred crimes for all 43 forces, in the
decisions exchange format (the columns of the decisions import). Nothing in it is real."""

import csv
import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from forces.data import read_forces
from reviews.demo import random_decision
from reviews.exchange.reading import DECISION_FILE

SEED = 20261127
PERIOD_START = date(2021, 4, 1)
PERIOD_END = date(2026, 3, 31)
# The columns of the decisions import, in its order.
COLUMNS = list(DECISION_FILE.columns)


def national_rows(*, rows: int, seed: int = SEED, first_number: int = 0) -> Iterator[dict[str, str]]:
    """`rows` decisions spread over the 43 forces in turn, as strings ready for a CSV file. The same arguments
    always give the same extract, row for row; crime references are numbered from `first_number`, so an extract
    starting where another ends has only new crimes."""
    codes = [force.code for force in read_forces()]
    rng = random.Random(seed)
    for number in range(first_number, first_number + rows):
        code = codes[number % len(codes)]
        others = [other for other in codes if other != code]
        fields = random_decision(rng, period_start=PERIOD_START, period_end=PERIOD_END, receiving_forces=others)
        yield {
            "force": code,
            "crime_reference": f"{code[:3].upper()}/{fields['recorded_on']:%y}/{number:07d}",
            "offence_category": str(fields["offence_category"]),
            "offence_code": fields["offence_code"],
            "recorded_on": fields["recorded_on"].isoformat(),
            "decided_on": fields["decided_on"].isoformat(),
            "outcome": str(fields["outcome"]),
            "criterion": str(fields["criterion"]),
            "authoriser_role": str(fields["authoriser_role"]),
            "receiving_force": fields["receiving_force"] or "",
            "rationale": fields["rationale"],
        }


def write_national_extract(path: Path, *, rows: int, seed: int = SEED, first_number: int = 0) -> Path:
    """Write the synthetic extract as a UTF-8 CSV file with a header row; returns `path`."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(national_rows(rows=rows, seed=seed, first_number=first_number))
    return path
