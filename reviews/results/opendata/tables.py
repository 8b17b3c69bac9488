"""The six tables of the open data package, one kind of fact each, one row per observation: their columns, as the
descriptor describes them, and how their rows are made from the published versions."""

from collections.abc import Iterable
from datetime import date

from reviews.exchange.cells import escape_formula
from reviews.models import OffenceCategory, RecordingGrade
from reviews.results.opendata.schema import (
    AUDIT_ID,
    CATEGORY,
    CATEGORY_LABEL,
    CURRENT,
    FORCE_CODE,
    INTERVAL_LOWER,
    INTERVAL_UPPER,
    TO_FORCES,
    TO_VERSIONS,
    VERSION,
    Column,
    PackageData,
    Table,
    count_column,
    percent_cells,
    rate_column,
    status_column,
    timestamp,
)
from reviews.results.published import thaw
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
        status_column(NOT_AUDITED, meaning='"not audited": the force has no published audit.'),
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
            "signed_off_at": timestamp(version.signed_off_at),
            "recording_grade": audit["recording_grade"] or None,
            "published_at": timestamp(version.published_at),
            "superseded_at": timestamp(version.superseded_at),
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
            rate, lower, upper = percent_cells(figures.incorrect_share) if counted else (None, None, None)
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
        status_column(
            NOT_SAMPLED,
            NONE_JUDGED,
            meaning='"not sampled": the audit reviewed no decision in the category; '
            '"none judged": every decision reviewed was "cannot tell", so there is no rate.',
        ),
        count_column("reviewed", 'Decisions reviewed and counted, including "cannot tell".'),
        count_column("cannot_tell", "Decisions the auditor could not judge from the record."),
        count_column("judged", "Decisions judged correct or incorrect: the denominator of the rate."),
        count_column("correct", "Decisions judged correct."),
        count_column(
            "incorrect",
            "Decisions judged incorrect: the crime should not have been cancelled or transferred as it was.",
        ),
        rate_column("incorrect_rate", "Incorrect decisions as a share of those judged."),
        rate_column("incorrect_rate_lower_95", INTERVAL_LOWER),
        rate_column("incorrect_rate_upper_95", INTERVAL_UPPER),
        rate_column(
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
        count_column("victims_should", "Victims in the category who should have been told of the decision."),
        count_column("victims_not_told", 'Of them, those not told ("no auditable record" counts as not told).'),
        count_column("victims_no_record", "Of them, those with no auditable record of being told."),
    ],
    primary_key=["audit_id", "version", "category"],
    foreign_keys=[TO_FORCES, TO_VERSIONS],
    rows=_category_rows,
)


# victims.csv


def _victim_rows(data: PackageData) -> Iterable[dict]:
    for version in data.versions:
        total = thaw(version.figures).total
        rate, lower, upper = percent_cells(total.victims)
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
        status_column(NONE_TO_TELL, meaning='"none to tell": no victim of a decision reviewed needed to be told.'),
        count_column("should_have_been_told", "Victims who should have been told of the decision.", required=True),
        count_column("not_told", 'Of them, those not told ("no auditable record" counts as not told).', required=True),
        count_column("no_auditable_record", "Of them, those with no auditable record of being told.", required=True),
        rate_column("not_told_rate", "Victims not told as a share of those who should have been."),
        rate_column("not_told_rate_lower_95", INTERVAL_LOWER),
        rate_column("not_told_rate_upper_95", INTERVAL_UPPER),
    ],
    primary_key=["audit_id", "version"],
    foreign_keys=[TO_FORCES, TO_VERSIONS],
    rows=_victim_rows,
)


# national.csv


def _national_row(*, period: str, start: date | None, end: date | None, forces: int, category: str, share: Share):
    rate, lower, upper = percent_cells(share)
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
        count_column("forces", "The forces whose audits are pooled.", required=True),
        CATEGORY,
        CATEGORY_LABEL,
        status_column(NOT_AUDITED, meaning='"not audited": no decision in the category was judged in the period.'),
        count_column("judged", "Decisions judged correct or incorrect, over the pooled audits."),
        count_column("incorrect", "Decisions judged incorrect, over the pooled audits."),
        rate_column("incorrect_rate", "The pooled incorrect rate: incorrect / judged."),
        rate_column("incorrect_rate_lower_95", INTERVAL_LOWER),
        rate_column("incorrect_rate_upper_95", INTERVAL_UPPER),
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
        status_column(NO_ACTIONS, meaning='"no actions": the force has no action (withdrawn ones aside).'),
        count_column("actions", "Actions raised, withdrawn ones aside.", required=True),
        count_column("put_right", "Actions a supervisor accepted as put right.", required=True),
        rate_column("put_right_rate", "Actions put right as a share of the actions."),
        count_column("overdue", "Actions still with the force after their due date.", required=True),
    ],
    primary_key=["force_code"],
    foreign_keys=[TO_FORCES],
    rows=_action_rows,
)


TABLES = [FORCES, VERSIONS, CATEGORIES, VICTIMS, NATIONAL, ACTIONS]
