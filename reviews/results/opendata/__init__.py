"""The open data package of the published results: tidy CSV files described by a Frictionless Data Package
(`datapackage.json`: Table Schema with types, constraints, keys and a description of every column, the licence,
the sources and the methods), and a zip of them all. A release is built whenever a version is published, in the
same transaction, and kept byte for byte, so a figure quoted from release 12 can be checked against release 12's
files and their SHA-256 for as long as it is kept.

Every figure comes from the versions' frozen counts through `statistics.Share`, the way the pages work them out,
and the national rates from the very functions the national page calls, so the files and the pages agree digit for
digit. Rates are percentages to one decimal place, halves rounded up. A numeric cell holds a number or nothing,
and the row's status column says why it holds nothing.

The package holds published figures only: never a crime reference, a review or anything still in progress.

Its parts: `schema` (columns and tables as Table Schema describes them), `tables` (the six tables and
their rows), `package` (the CSV files, the descriptor and the zip) and `releases` (building, keeping and reading
releases). What other modules use is named here.
"""

from reviews.results.opendata.releases import (
    latest_release,
    open_data_release_build,
    published_state,
    recent_releases,
    release_file,
    release_files,
    release_numbered,
)
from reviews.results.opendata.tables import TABLES

__all__ = [
    "TABLES",
    "latest_release",
    "open_data_release_build",
    "published_state",
    "recent_releases",
    "release_file",
    "release_files",
    "release_numbered",
]
