"""The parts every file of the open data package is described with: a column as its Table Schema field, a table
with its keys and the rows it is made of, the columns several tables share, and what the tables are made from."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from forces.models import Force
from reviews.models import OffenceCategory, PublishedResults
from reviews.results.statistics import Share


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


def count_column(name: str, description: str, **kwargs) -> Column:
    return Column(name, "integer", description, constraints={"minimum": 0}, **kwargs)


def rate_column(name: str, description: str) -> Column:
    return Column(
        name,
        "number",
        f"{description} A percentage (0 to 100) to one decimal place, halves rounded up.",
        constraints={"minimum": 0, "maximum": 100},
    )


def status_column(*words: str, meaning: str) -> Column:
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


def percent_cells(share: Share) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    return (share.percent, share.lower_percent, share.upper_percent) if share.exists else (None, None, None)


def timestamp(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None
