"""The open data package as files: each table as CSV, the Data Package descriptor (schemas, licence, sources,
methods, each file's size and SHA-256) and a zip of them all, built from what the package data reads."""

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime

from forces.models import Force
from reviews.models import Audit, PublishedResults
from reviews.remedies.selectors import put_right_shares
from reviews.results.opendata.schema import PackageData, Table, timestamp
from reviews.results.opendata.tables import TABLES
from reviews.results.published import latest_published, national_rates_by_period, published_national_comparison

PACKAGE_NAME = "cancellation-review-published-results"
LICENCE = {
    "name": "OGL-UK-3.0",
    "title": "Open Government Licence v3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
METHODS = """\
Reviews of police forces' decisions to cancel or transfer recorded crimes (Home Office Counting Rules for \
Recorded Crime, Section C, criteria C1 to C5), as published by the audit team once each audit is signed off.

What counts: one verdict per sampled decision per audit, the supervisor's final verdict where the first and \
second reviews disagreed, otherwise the primary review; second reviews and known-answer items are never counted. \
A decision is "judged" when the auditor could say whether the cancellation was correct or incorrect; "cannot tell" \
verdicts are counted apart and are not in the rate. The incorrect rate is incorrect / judged.

Intervals: each rate has its 95% Wilson score interval (z = 1.959964). National rates pool the incorrect and \
judged decisions of every force's latest published audit (in a financial year, of its latest published audit \
whose period ends in that year). A force is "higher" or "lower" than the national rate only when its whole 95% \
interval lies on one side of it, otherwise "no clear difference". Changes between two audits of a force, on the \
force pages, use Newcombe's hybrid score interval for the difference of two proportions, built from the two \
Wilson intervals; the files give the counts from which they can be worked out.

Rates are percentages to one decimal place, halves rounded up, exactly as the pages show them. An empty numeric \
cell is explained by the row's status column ("not audited", "not sampled", "none judged", "none to tell", \
"no actions"). Victims: "no auditable record" counts as not told, and is also given on its own.

Published figures never change: a correction is a new version of an audit's results, with a note; every version \
is in the package, the one that stands marked current and the ones it replaced with the time they were superseded.
"""


def package_data(*, today: date) -> PackageData:
    """Every published version (superseded ones too), every force, the national rates as the national page works
    them out (latest audits, and each financial year), and each force's actions put right on `today`."""
    forces = list(Force.objects.order_by("name"))
    versions = list(
        PublishedResults.objects.select_related("force").order_by("force__name", "period_end", "audit_id", "version")
    )
    in_comparison = set(latest_published().values_list("pk", flat=True))
    comparison = published_national_comparison(forces=Force.objects.all())
    return PackageData(
        forces=forces,
        versions=versions,
        in_comparison=in_comparison,
        national=comparison.national,
        national_forces=len(in_comparison),
        periods=national_rates_by_period(),
        # The actions of published findings only: those of an audit signed off but not published (or of a correction
        # not yet published) would tell what it found before it is published.
        actions=put_right_shares(forces=Force.objects.all(), today=today, audits=Audit.objects.published()),
        today=today,
    )


DESCRIPTOR = "datapackage.json"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table_csv(table: Table, data: PackageData) -> bytes:
    """The table as UTF-8 CSV with "\\n" line ends: the same figures always give the same bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = [column.name for column in table.columns]
    writer.writerow(names)
    for row in table.rows(data):
        writer.writerow([_cell(row[name]) for name in names])
    return buffer.getvalue().encode("utf-8")


@dataclass(frozen=True)
class BuiltFile:
    name: str
    title: str
    media_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def package_descriptor(*, number: int, created: datetime, files: dict[str, bytes]) -> dict:
    """The Data Package descriptor of release `number`, with each file's size and SHA-256."""
    return {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": "Police crime cancellation decisions reviewed: published results",
        "description": METHODS,
        "version": f"{number}.0.0",
        "created": timestamp(created),
        "keywords": ["police", "crime recording", "cancelled crimes", "audit", "England and Wales"],
        "licenses": [LICENCE],
        "sources": [
            {"title": "Cancellation Review: the published versions of signed-off audits' results"},
            {
                "title": "Home Office Counting Rules for Recorded Crime, Section C (removing recorded crimes)",
                "path": "https://www.gov.uk/government/publications/counting-rules-for-recorded-crime",
            },
        ],
        "resources": [
            {
                "name": table.name,
                "path": table.path,
                "title": table.title,
                "description": table.description,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": len(files[table.path]),
                "hash": f"sha256:{hashlib.sha256(files[table.path]).hexdigest()}",
                "schema": table.schema(),
            }
            for table in TABLES
        ],
    }


def zip_name(number: int) -> str:
    return f"open-data-release-{number}.zip"


def _zip(files: list[BuiltFile], created: datetime) -> bytes:
    # Fixed times and order: the same files always make the same archive.
    stamp = created.astimezone(UTC).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for built in files:
            info = zipfile.ZipInfo(built.name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, built.content)
    return buffer.getvalue()


def package_files(*, data: PackageData, number: int, created: datetime) -> list[BuiltFile]:
    """Release `number`'s files: the descriptor, the CSV files, then a zip of them all."""
    tables = {table.path: table_csv(table, data) for table in TABLES}
    descriptor = package_descriptor(number=number, created=created, files=tables)
    files = [
        BuiltFile(
            DESCRIPTOR,
            "Data Package descriptor: the tables' schemas, licence, sources and methods",
            "application/json",
            (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        ),
        *(BuiltFile(table.path, table.title, "text/csv", tables[table.path]) for table in TABLES),
    ]
    return [
        *files,
        BuiltFile(zip_name(number), "The whole package as one zip file", "application/zip", _zip(files, created)),
    ]
