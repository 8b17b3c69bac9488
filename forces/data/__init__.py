"""The forces that ship with the application, and the reader for files in the same format."""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FORCES_CSV = Path(__file__).resolve().parent / "forces.csv"
REQUIRED_COLUMNS = ("code", "name", "former_names", "country", "region")


@dataclass(frozen=True)
class ForceRow:
    code: str
    name: str
    former_names: tuple[str, ...]
    country: str
    region: str


class ForceFileError(ValueError):
    pass


def read_forces(path: Path = FORCES_CSV) -> Iterator[ForceRow]:
    """Rows of a forces file; several former names are separated by semicolons.

    Raises `ForceFileError` naming the line when a column is missing or a value is blank.
    Kept free of model imports so that data migrations can use it too.
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise ForceFileError(f"{path.name}: missing column(s) {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            values = {column: (row[column] or "").strip() for column in REQUIRED_COLUMNS}
            blank = [column for column in ("code", "name", "country", "region") if not values[column]]
            if blank:
                raise ForceFileError(f"{path.name}, line {line}: {', '.join(blank)} must not be blank")
            former = tuple(name.strip() for name in values["former_names"].split(";") if name.strip())
            yield ForceRow(
                code=values["code"],
                name=values["name"],
                former_names=former,
                country=values["country"],
                region=values["region"],
            )


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def upsert_forces(rows: Iterator[ForceRow], *, force_model, former_name_model) -> LoadResult:
    """Create or update forces by code; a renamed force keeps its old name as a former name.

    Takes the model classes as arguments so that a data migration can pass its historical models.
    """
    result = LoadResult()
    for row in rows:
        force = force_model.objects.filter(code=row.code).first()
        former = set(row.former_names)
        if force is None:
            force = force_model.objects.create(code=row.code, name=row.name, country=row.country, region=row.region)
            result.created += 1
        else:
            current = (force.name, force.country, force.region)
            if force.name != row.name:
                former.add(force.name)
            force.name, force.country, force.region = row.name, row.country, row.region
            if current != (force.name, force.country, force.region):
                force.save()
                result.updated += 1
            else:
                result.unchanged += 1
        known = {name.lower() for name in force.former_names.values_list("name", flat=True)}
        for name in sorted(former):
            if name.lower() not in known and name.lower() != force.name.lower():
                former_name_model.objects.create(force=force, name=name)
    return result
