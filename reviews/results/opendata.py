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
"""

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from forces.models import Force
from reviews.exchange.cells import escape_formula
from reviews.models import OffenceCategory, OpenDataFile, OpenDataRelease, PublishedResults, RecordingGrade
from reviews.remedies.selectors import put_right_shares
from reviews.results.published import (
    latest_published,
    national_rates_by_period,
    published_national_comparison,
    published_signature,
    thaw,
)
from reviews.results.selectors import (
    NO_ACTIONS,
    NONE_JUDGED,
    NONE_TO_TELL,
    NOT_AUDITED,
    NOT_SAMPLED,
    CategoryFigures,
    category_status,
)
from reviews.results.statistics import HIGHER, LOWER, NO_CLEAR_DIFFERENCE, Share, compared_with

LATEST = "latest"

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


@dataclass(frozen=True)
class Column:
    """One column of a table, as its Table Schema field describes it."""

    name: str
    type: str
    description: str
    required: bool = False
    constraints: dict = field(default_factory=dict)
    title: str = ""

    def descriptor(self) -> dict:
        descriptor = {"name": self.name, "type": self.type, "description": self.description}
        if self.title:
            descriptor["title"] = self.title
        if self.type == "boolean":
            descriptor |= {"trueValues": ["true"], "falseValues": ["false"]}
        constraints = {**self.constraints, **({"required": True} if self.required else {})}
        if constraints:
            descriptor["constraints"] = constraints
        return descriptor


@dataclass(frozen=True)
class Table:
    """One CSV file of the package: its columns, keys and how its rows are made."""

    name: str
    title: str
    description: str
    columns: list[Column]
    primary_key: list[str]
    rows: Callable[["PackageData"], Iterable[dict]]
    foreign_keys: list[dict] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    def schema(self) -> dict:
        return {
            "fields": [column.descriptor() for column in self.columns],
            "primaryKey": self.primary_key,
            "foreignKeys": self.foreign_keys,
            "missingValues": [""],
        }


def _count(name: str, description: str, **kwargs) -> Column:
    return Column(name, "integer", description, constraints={"minimum": 0}, **kwargs)


def _rate(name: str, description: str) -> Column:
    return Column(
        name,
        "number",
        f"{description} A percentage (0 to 100) to one decimal place, halves rounded up.",
        constraints={"minimum": 0, "maximum": 100},
    )


def _status(*words: str, meaning: str) -> Column:
    return Column(
        "status",
        "string",
        f"Why the numeric cells of the row are empty, or empty itself: {meaning}",
        constraints={"enum": list(words)},
    )


FORCE_CODE = Column(
    "force_code",
    "string",
    "The force's stable code, as data.police.uk spells it.",
    required=True,
    constraints={"pattern": "[a-z0-9-]+"},
)
AUDIT_ID = Column(
    "audit_id", "integer", "The audit's number in the service.", required=True, constraints={"minimum": 1}
)
VERSION = Column(
    "version",
    "integer",
    "The version of the audit's published results: 1, then one more per correction.",
    required=True,
    constraints={"minimum": 1},
)
CURRENT = Column(
    "current", "boolean", "Whether this version stands (true) or was replaced by a correction (false).", required=True
)
TO_FORCES = {"fields": ["force_code"], "reference": {"resource": "forces", "fields": ["code"]}}
TO_VERSIONS = {
    "fields": ["audit_id", "version"],
    "reference": {"resource": "versions", "fields": ["audit_id", "version"]},
}
CATEGORY = Column(
    "category",
    "string",
    "The offence category's code.",
    required=True,
    constraints={"enum": list(OffenceCategory.values)},
)
CATEGORY_LABEL = Column("category_label", "string", "The offence category's name.", required=True)
INTERVAL_LOWER = "The lower end of the rate's 95% Wilson score interval."
INTERVAL_UPPER = "The upper end of the rate's 95% Wilson score interval."


@dataclass
class PackageData:
    """What the package is built from, read in a handful of queries."""

    forces: list[Force]
    versions: list[PublishedResults]
    in_comparison: set[int]
    national: dict[str, Share]
    national_forces: int
    periods: list
    actions: dict[int, tuple[Share, int]]
    today: date

    @property
    def force_codes(self) -> dict[int, str]:
        return {force.pk: force.code for force in self.forces}


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
        actions=put_right_shares(forces=Force.objects.all(), today=today),
        today=today,
    )


def _percent(share: Share) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    return (share.percent, share.lower_percent, share.upper_percent) if share.exists else (None, None, None)


def _timestamp(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


# forces.csv


def _force_rows(data: PackageData) -> Iterable[dict]:
    latest = {version.force_id: version for version in data.versions if version.pk in data.in_comparison}
    for force in data.forces:
        version = latest.get(force.pk)
        yield {
            "code": force.code,
            "name": escape_formula(force.name),
            "country": force.country,
            "region": escape_formula(force.region),
            "status": "" if version else NOT_AUDITED,
            "latest_audit_id": version.audit_id if version else None,
            "latest_version": version.version if version else None,
        }


FORCES = Table(
    name="forces",
    title="Forces",
    description="The 43 territorial police forces of England and Wales, each with its latest published audit (the "
    "one the national comparison shows).",
    columns=[
        Column(
            "code",
            "string",
            "The force's stable code, as data.police.uk spells it.",
            required=True,
            constraints={"unique": True},
        ),
        Column("name", "string", "The force's current name.", required=True),
        Column("country", "string", "England or Wales.", required=True, constraints={"enum": ["England", "Wales"]}),
        Column("region", "string", "The force's region.", required=True),
        _status(NOT_AUDITED, meaning='"not audited": the force has no published audit.'),
        Column(
            "latest_audit_id",
            "integer",
            "The force's latest published audit (latest period, then latest sign-off): the one the national "
            "comparison shows.",
        ),
        Column("latest_version", "integer", "The standing version of that audit's results."),
    ],
    primary_key=["code"],
    foreign_keys=[
        {
            "fields": ["latest_audit_id", "latest_version"],
            "reference": {"resource": "versions", "fields": ["audit_id", "version"]},
        }
    ],
    rows=_force_rows,
)


# versions.csv


def _version_rows(data: PackageData) -> Iterable[dict]:
    for version in data.versions:
        audit = version.figures["audit"]
        yield {
            "force_code": version.force.code,
            "audit_id": version.audit_id,
            "version": version.version,
            "current": not version.is_superseded,
            "in_national_comparison": version.pk in data.in_comparison,
            "audit_name": escape_formula(audit["name"]),
            "period_start": version.period_start,
            "period_end": version.period_end,
            "signed_off_at": _timestamp(version.signed_off_at),
            "recording_grade": audit["recording_grade"] or None,
            "published_at": _timestamp(version.published_at),
            "superseded_at": _timestamp(version.superseded_at),
            "correction_note": escape_formula(version.correction_note) or None,
            "csv_sha256": version.sha256,
        }


VERSIONS = Table(
    name="versions",
    title="Published versions",
    description="Every published version of every audit's results: the standing ones and those a correction replaced.",
    columns=[
        FORCE_CODE,
        AUDIT_ID,
        VERSION,
        CURRENT,
        Column(
            "in_national_comparison",
            "boolean",
            "Whether this version is its force's latest published audit, "
            "the one the national comparison and the national rates of the latest audits use.",
            required=True,
        ),
        Column("audit_name", "string", "The audit's name as published.", required=True),
        Column("period_start", "date", "The first day of the period whose decisions the audit sampled.", required=True),
        Column("period_end", "date", "The last day of that period.", required=True),
        Column(
            "signed_off_at",
            "datetime",
            "When the audit was signed off (UTC): the sign-off this version publishes.",
            required=True,
        ),
        Column(
            "recording_grade",
            "string",
            "The force's crime recording grade at the audit, if one was given.",
            constraints={"enum": list(RecordingGrade.values)},
        ),
        Column("published_at", "datetime", "When this version was published (UTC).", required=True),
        Column("superseded_at", "datetime", "When a correction replaced this version (UTC); empty while it stands."),
        Column("correction_note", "string", "What a corrected version changed, and why; empty for version 1."),
        Column(
            "csv_sha256",
            "string",
            "The SHA-256 of the version's own canonical CSV, as its page shows it.",
            required=True,
            constraints={"pattern": "[0-9a-f]{64}"},
        ),
    ],
    primary_key=["audit_id", "version"],
    foreign_keys=[TO_FORCES],
    rows=_version_rows,
)


# categories.csv


def _category_rows(data: PackageData) -> Iterable[dict]:
    for version in data.versions:
        frozen: dict[str, CategoryFigures] = {figures.category: figures for figures in thaw(version.figures).categories}
        shown = [
            category
            for category in OffenceCategory.values
            if category in OffenceCategory.audited() or category in frozen
        ]
        for category in shown:
            figures = frozen.get(category)
            status = category_status(figures)
            counted = status != NOT_SAMPLED
            rate, lower, upper = _percent(figures.incorrect_share) if counted else (None, None, None)
            national = figures.national if figures and figures.national else Share(0, 0)
            yield {
                "force_code": version.force.code,
                "audit_id": version.audit_id,
                "version": version.version,
                "current": not version.is_superseded,
                "category": category,
                "category_label": OffenceCategory(category).label,
                "status": status,
                **{
                    name: getattr(figures, name) if counted else None
                    for name in ("reviewed", "cannot_tell", "judged", "correct", "incorrect")
                },
                "incorrect_rate": rate,
                "incorrect_rate_lower_95": lower,
                "incorrect_rate_upper_95": upper,
                "national_rate_at_publication": national.percent,
                "compared_with_national_at_publication": (figures.compared_with_national if figures else "") or None,
                "compared_with_national": (
                    compared_with(figures.incorrect_share, data.national[category])
                    if version.pk in data.in_comparison and counted and category in data.national
                    else ""
                )
                or None,
                **{
                    name: getattr(figures, name) if counted else None
                    for name in ("victims_should", "victims_not_told", "victims_no_record")
                },
            }


CATEGORIES = Table(
    name="categories",
    title="Decisions reviewed, by force, published version and offence category",
    description="One row per force, published version of an audit and offence category: the decisions reviewed, "
    "those the auditors could not judge, the incorrect rate with its 95% interval and how it stood against the "
    "national rate published with it. The four categories HMICFRS dip-samples always have a row; another category "
    "has one when the audit reviewed it.",
    columns=[
        FORCE_CODE,
        AUDIT_ID,
        VERSION,
        CURRENT,
        CATEGORY,
        CATEGORY_LABEL,
        _status(
            NOT_SAMPLED,
            NONE_JUDGED,
            meaning='"not sampled": the audit reviewed no decision in the category; '
            '"none judged": every decision reviewed was "cannot tell", so there is no rate.',
        ),
        _count("reviewed", 'Decisions reviewed and counted, including "cannot tell".'),
        _count("cannot_tell", "Decisions the auditor could not judge from the record."),
        _count("judged", "Decisions judged correct or incorrect: the denominator of the rate."),
        _count("correct", "Decisions judged correct."),
        _count(
            "incorrect",
            "Decisions judged incorrect: the crime should not have been cancelled or transferred as it was.",
        ),
        _rate("incorrect_rate", "Incorrect decisions as a share of those judged."),
        _rate("incorrect_rate_lower_95", INTERVAL_LOWER),
        _rate("incorrect_rate_upper_95", INTERVAL_UPPER),
        _rate(
            "national_rate_at_publication",
            "The national incorrect rate in the category when the version was published, as the version's page "
            "shows it (the current national rates are in national.csv); empty where the version has no figures in "
            "the category.",
        ),
        Column(
            "compared_with_national_at_publication",
            "string",
            "How the force stood against that national rate: higher or lower only when its whole 95% interval "
            "lies on one side of it, otherwise no clear difference.",
            constraints={"enum": [HIGHER, LOWER, NO_CLEAR_DIFFERENCE]},
        ),
        Column(
            "compared_with_national",
            "string",
            'How the force stands against the national rate of this release (national.csv, period "latest"), as '
            "the national comparison shows it; only for the version the national comparison shows "
            "(in_national_comparison in versions.csv), empty for the others.",
            constraints={"enum": [HIGHER, LOWER, NO_CLEAR_DIFFERENCE]},
        ),
        _count("victims_should", "Victims in the category who should have been told of the decision."),
        _count("victims_not_told", 'Of them, those not told ("no auditable record" counts as not told).'),
        _count("victims_no_record", "Of them, those with no auditable record of being told."),
    ],
    primary_key=["audit_id", "version", "category"],
    foreign_keys=[TO_FORCES, TO_VERSIONS],
    rows=_category_rows,
)


# victims.csv


def _victim_rows(data: PackageData) -> Iterable[dict]:
    for version in data.versions:
        total = thaw(version.figures).total
        rate, lower, upper = _percent(total.victims)
        yield {
            "force_code": version.force.code,
            "audit_id": version.audit_id,
            "version": version.version,
            "current": not version.is_superseded,
            "status": "" if total.victims_should else NONE_TO_TELL,
            "should_have_been_told": total.victims_should,
            "not_told": total.victims_not_told,
            "no_auditable_record": total.victims_no_record,
            "not_told_rate": rate,
            "not_told_rate_lower_95": lower,
            "not_told_rate_upper_95": upper,
        }


VICTIMS = Table(
    name="victims",
    title="Victims told of the decision, by force and published version",
    description="One row per force and published version of an audit, over every category the audit reviewed: the "
    "victims who should have been told of the decision and those who were not.",
    columns=[
        FORCE_CODE,
        AUDIT_ID,
        VERSION,
        CURRENT,
        _status(NONE_TO_TELL, meaning='"none to tell": no victim of a decision reviewed needed to be told.'),
        _count("should_have_been_told", "Victims who should have been told of the decision.", required=True),
        _count("not_told", 'Of them, those not told ("no auditable record" counts as not told).', required=True),
        _count("no_auditable_record", "Of them, those with no auditable record of being told.", required=True),
        _rate("not_told_rate", "Victims not told as a share of those who should have been."),
        _rate("not_told_rate_lower_95", INTERVAL_LOWER),
        _rate("not_told_rate_upper_95", INTERVAL_UPPER),
    ],
    primary_key=["audit_id", "version"],
    foreign_keys=[TO_FORCES, TO_VERSIONS],
    rows=_victim_rows,
)


# national.csv


def _national_row(*, period: str, start: date | None, end: date | None, forces: int, category: str, share: Share):
    rate, lower, upper = _percent(share)
    return {
        "period": period,
        "period_start": start,
        "period_end": end,
        "forces": forces,
        "category": category,
        "category_label": OffenceCategory(category).label,
        "status": "" if share.exists else NOT_AUDITED,
        "judged": share.total if share.exists else None,
        "incorrect": share.count if share.exists else None,
        "incorrect_rate": rate,
        "incorrect_rate_lower_95": lower,
        "incorrect_rate_upper_95": upper,
    }


def financial_year_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def _national_rows(data: PackageData) -> Iterable[dict]:
    for category, share in data.national.items():
        yield _national_row(
            period=LATEST, start=None, end=None, forces=data.national_forces, category=category, share=share
        )
    for period in data.periods:
        for category, share in period.national.items():
            yield _national_row(
                period=financial_year_label(period.year),
                start=date(period.year, 4, 1),
                end=date(period.year + 1, 3, 31),
                forces=period.forces,
                category=category,
                share=share,
            )


NATIONAL = Table(
    name="national",
    title="National incorrect rates, by period and offence category",
    description='The national incorrect rate per category, pooled: for period "latest", over every force\'s latest '
    'published audit (the national comparison\'s rates); for a financial year ("2024-25", April to March), over '
    "each force's latest published audit whose period ends in that year. Standing versions only.",
    columns=[
        Column("period", "string", '"latest", or a financial year such as "2024-25".', required=True),
        Column("period_start", "date", 'The first day of the financial year; empty for "latest".'),
        Column("period_end", "date", 'The last day of the financial year; empty for "latest".'),
        _count("forces", "The forces whose audits are pooled.", required=True),
        CATEGORY,
        CATEGORY_LABEL,
        _status(NOT_AUDITED, meaning='"not audited": no decision in the category was judged in the period.'),
        _count("judged", "Decisions judged correct or incorrect, over the pooled audits."),
        _count("incorrect", "Decisions judged incorrect, over the pooled audits."),
        _rate("incorrect_rate", "The pooled incorrect rate: incorrect / judged."),
        _rate("incorrect_rate_lower_95", INTERVAL_LOWER),
        _rate("incorrect_rate_upper_95", INTERVAL_UPPER),
    ],
    primary_key=["period", "category"],
    rows=_national_rows,
)


# actions.csv


def _action_rows(data: PackageData) -> Iterable[dict]:
    for force in data.forces:
        share, overdue = data.actions.get(force.pk, (None, 0))
        yield {
            "force_code": force.code,
            "as_of": data.today,
            "status": "" if share else NO_ACTIONS,
            "actions": share.total if share else 0,
            "put_right": share.count if share else 0,
            "put_right_rate": share.percent if share else None,
            "overdue": overdue,
        }


ACTIONS = Table(
    name="actions",
    title="Actions put right, by force",
    description="For each force, the actions raised from the findings of all its signed-off audits (reconsider a "
    "decision judged incorrect, tell a victim who was not told), withdrawn ones aside, and how many a supervisor "
    "accepted as put right, as the national comparison shows them on the day the release was built.",
    columns=[
        FORCE_CODE,
        Column("as_of", "date", "The day these figures were read: actions move on after it.", required=True),
        _status(NO_ACTIONS, meaning='"no actions": the force has no action (withdrawn ones aside).'),
        _count("actions", "Actions raised, withdrawn ones aside.", required=True),
        _count("put_right", "Actions a supervisor accepted as put right.", required=True),
        _rate("put_right_rate", "Actions put right as a share of the actions."),
        _count("overdue", "Actions still with the force after their due date.", required=True),
    ],
    primary_key=["force_code"],
    foreign_keys=[TO_FORCES],
    rows=_action_rows,
)


TABLES = [FORCES, VERSIONS, CATEGORIES, VICTIMS, NATIONAL, ACTIONS]
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
        "created": _timestamp(created),
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


# Any fixed number: the key of the PostgreSQL lock that numbers releases one at a time.
RELEASE_LOCK = 7_205_311


def _one_release_at_a_time() -> None:
    """Hold a lock until the transaction ends, so two publications at once make releases 7 and 8, the second
    holding both versions, rather than two releases 7. SQLite's transactions already take the write lock as they
    begin."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RELEASE_LOCK])


def published_state() -> str:
    """The published versions a release holds, as `published.published_signature` counts them."""
    return "-".join(str(number) for number in published_signature())


@transaction.atomic
def open_data_release_build(*, published: PublishedResults | None = None) -> OpenDataRelease:
    """Build and keep the next release of the open data package from every version published so far; `published`
    is the publication it is built for (`publishing.audit_publish` builds one in its own transaction)."""
    _one_release_at_a_time()
    number = (OpenDataRelease.objects.aggregate(last=Max("number"))["last"] or 0) + 1
    created = timezone.now().replace(microsecond=0)
    release = OpenDataRelease(number=number, published=published, created_at=created, published_state=published_state())
    release.full_clean()
    release.save()
    files = package_files(data=package_data(today=timezone.localdate()), number=number, created=created)
    OpenDataFile.objects.bulk_create(
        OpenDataFile(
            release=release,
            name=built.name,
            title=built.title,
            media_type=built.media_type,
            content=built.content,
            size=len(built.content),
            sha256=built.sha256,
            position=position,
        )
        for position, built in enumerate(files)
    )
    return release


# Reads for the open data page.


def latest_release() -> OpenDataRelease | None:
    return OpenDataRelease.objects.latest_first().select_related("published__force").first()


def release_numbered(number: int) -> OpenDataRelease | None:
    return OpenDataRelease.objects.select_related("published__force").filter(number=number).first()


def release_files(release: OpenDataRelease) -> list[OpenDataFile]:
    """The release's files as the page lists them, without their contents."""
    return list(release.files.defer("content").order_by("position"))


def release_file(*, number: int, name: str) -> OpenDataFile | None:
    return OpenDataFile.objects.select_related("release").filter(release__number=number, name=name).first()


def earlier_releases(*, limit: int = 20) -> list[OpenDataRelease]:
    return list(OpenDataRelease.objects.latest_first().select_related("published__force")[:limit])
