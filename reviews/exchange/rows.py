"""Checking one row of a decisions or reviews file: the values each column may hold, in the words every way in
reports (command line, data administration pages)."""

import re
from collections.abc import Iterator
from datetime import date
from typing import NamedTuple

from forces.models import Force, FormerName
from reviews.exchange.cells import UNREADABLE
from reviews.exchange.reading import (
    DECISION_FILE,
    REVIEW_FILE,
    ImportReport,
    RowError,
    Table,
    unreadable_cells,
)
from reviews.models import (
    AuthoriserRole,
    Criterion,
    IncorrectReason,
    NoNeedToInformReason,
    OffenceCategory,
    Outcome,
    Verdict,
    VictimInformed,
)


def _aliases(choices, *extra: dict[str, str]) -> dict[str, str]:
    """Lower-cased codes and labels (and the label after "C2: ") mapped to each choice's stored value."""
    table = {}
    for value, label in choices.choices:
        table[value] = value
        table[value.lower()] = value
        table[label.lower()] = value
        table[value.lower().replace("_", " ")] = value
        if ": " in label:
            table[label.split(": ", 1)[1].lower()] = value
    for mapping in extra:
        table.update({key.lower(): value for key, value in mapping.items()})
    return table


CATEGORY_ALIASES = _aliases(OffenceCategory, {"other sexual": "other_sexual", "violence with injury": "violence"})
OUTCOME_ALIASES = _aliases(Outcome)
CRITERION_ALIASES = _aliases(
    Criterion,
    {
        # The wording of the Home Office Counting Rules, as forces tend to paste it.
        "the crime was committed outside the jurisdiction of the force that recorded it": "C1",
        "additional verifiable information (avi) shows that no notifiable crime occurred": "C2",
        "additional verifiable information": "C2",
        "avi": "C2",
        "the record is a duplicate, or part of a crime already recorded": "C3",
        "duplicate": "C3",
        "the crime was recorded in error": "C4",
        "self-defence is claimed": "C5",
        "self-defence": "C5",
    },
)


AUTHORISER_ALIASES = _aliases(AuthoriserRole, {"designated decision maker (ddm)": "ddm"})
VERDICT_ALIASES = _aliases(Verdict, {"y": "yes", "n": "no", "true": "yes", "false": "no", "cannot tell": "cannot_tell"})
INCORRECT_REASON_ALIASES = _aliases(IncorrectReason)
NO_NEED_REASON_ALIASES = _aliases(NoNeedToInformReason)
VICTIM_INFORMED_ALIASES = _aliases(VictimInformed, {"y": "yes", "n": "no", "true": "yes", "false": "no"})
YES_NO = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}

_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(value: str) -> date | None:
    """ISO (2026-01-31, with or without a time) or UK (31/01/2026); None when it is neither or not a real day."""
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    match = _UK_DATE.match(value)
    if match:
        day, month, year = (int(part) for part in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return None


def _one_of(choices) -> str:
    values = choices.values
    if all(re.fullmatch(r"C\d", value) for value in values):
        return f"{values[0]}-{values[-1]}"
    return ", ".join(values)


class ForceLookup:
    """Every force by code, current name and former name (ignoring case and spacing), read in two queries.

    The same matching as `Force.objects.matching()`, held in memory so that checking a row costs no query."""

    def __init__(self):
        self._by_key: dict[str, tuple[int, str]] = {}
        for pk, code, name in Force.objects.values_list("pk", "code", "name"):
            self._by_key[self.key(code)] = (pk, code)
            self._by_key[self.key(name)] = (pk, code)
        for force_id, code, name in FormerName.objects.values_list("force_id", "force__code", "name"):
            self._by_key.setdefault(self.key(name), (force_id, code))
        # For rows that already name the force by its lower-case code: one dictionary look-up.
        self.get_lowercase = self._by_key.get

    @staticmethod
    def key(value: str) -> str:
        return " ".join(value.split()).lower()

    def get(self, value: str) -> tuple[int, str] | None:
        """(force id, code) of the force called `value`, or None."""
        return self._by_key.get(value.lower()) or self._by_key.get(self.key(value))


class _Row:
    """Collects one row's errors while its cells are checked."""

    __slots__ = ("errors", "number")

    def __init__(self, number: int):
        self.number = number
        self.errors: list[RowError] = []

    def error(self, column: str | None, message: str, value: str = "") -> None:
        self.errors.append(RowError(self.number, column, message, value))

    def required(self, column: str, value: str) -> str:
        if not value:
            self.error(column, "is blank: a value is needed")
        return value

    def text(self, column: str, value: str, max_length: int, *, required: bool = False, read: str | None = None) -> str:
        """`read`: the cell as read, when `value` is its canonical form."""
        if required and not value:
            self.error(column, "is blank: a value is needed")
        elif len(value) > max_length:
            message = f'"{value[:20]}..." is longer than {max_length} characters'
            self.error(column, message, value if read is None else read)
        return value

    def choice(self, column: str, value: str, aliases: dict[str, str], choices, *, required: bool = True) -> str:
        if not value:
            if required:
                self.error(column, f"is blank: it must be one of {_one_of(choices)}")
            return ""
        found = aliases.get(value.lower()) or aliases.get(" ".join(value.lower().split()))
        if found is None:
            self.error(column, f'"{value}" is not one of {_one_of(choices)}', value)
            return ""
        return found

    def date(self, column: str, value: str) -> date | None:
        if not value:
            self.error(column, "is blank: a date is needed (2026-01-31 or 31/01/2026)")
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.error(column, f'"{value}" is not a date (use 2026-01-31 or 31/01/2026)', value)
        return parsed

    def force(self, column: str, value: str, forces: ForceLookup, *, required: bool = True) -> tuple[int, str] | None:
        if not value:
            if required:
                self.error(column, "is blank: name the force by its code or name")
            return None
        found = forces.get(value)
        if found is None:
            self.error(column, f'no force called "{value}"', value)
        return found

    def answer_when(self, column: str, answer: str, value: str, needed: bool | None, choices, condition: str) -> None:
        """An answer that `condition` calls for: required when `needed`, refused when not (None: the answer it
        hangs on is itself missing or wrong, and has its own error)."""
        if needed and not answer and not value:
            self.error(column, f"is blank: {condition}, so it must be one of {_one_of(choices)}")
        elif needed is False and answer:
            self.error(column, f'"{value}" given, but it is only for when {condition}', value)

    def yes_no(self, column: str, value: str) -> bool | None:
        if not value:
            self.error(column, "is blank: answer yes or no")
            return None
        answer = YES_NO.get(value.lower())
        if answer is None:
            self.error(column, f'"{value}" is not yes or no', value)
        return answer


class DecisionValues(NamedTuple):
    """One checked row of a decisions file, ready for the database. Dates are ISO strings ("2026-01-31"),
    which sort as the dates do and load into a staging table as they are."""

    row_number: int
    force_id: int
    reference: str
    offence_category: str
    offence_code: str
    recorded_on: str
    decided_on: str
    outcome: str
    criterion: str
    authoriser_role: str
    receiving_force_id: int | None
    rationale: str


def _iso(value: str) -> str | None:
    """`value` itself when it is already an ISO date (the usual case, checked without building a date)."""
    if len(value) == 10 and value[4] == "-":
        try:
            date.fromisoformat(value)
        except ValueError:
            return None
        return value
    return None


CRITERION_OUTCOME = {criterion.value: criterion.outcome.value for criterion in Criterion}


class DecisionRowParser:
    """Checks one row of a decisions file against every rule that row alone can break."""

    # A file's dates repeat (a few thousand days in years of decisions): each distinct one is checked once.
    DATES_REMEMBERED = 20_000

    def __init__(self, forces: ForceLookup | None = None):
        self.forces = forces or ForceLookup()
        self._force = self.forces.get_lowercase
        self._dates: dict[str, str] = {}
        self._known_date = self._dates.get

    def _iso_date(self, value: str) -> str | None:
        iso = _iso(value)
        if iso is not None and len(self._dates) < self.DATES_REMEMBERED:
            self._dates[value] = iso
        return iso

    def parse(self, number: int, cells: list[str]) -> tuple[DecisionValues | None, list[RowError]]:
        """The row's values ready for the database, or None and every rule the row breaks."""
        if UNREADABLE in "".join(cells):
            return None, unreadable_cells(number, cells, DECISION_FILE)
        values = self._canonical(number, cells)
        return (values, []) if values is not None else self._parse_fully(number, cells)

    def _canonical(self, number: int, cells: list[str]) -> DecisionValues | None:
        (force, reference, category, code, recorded, decided, outcome, criterion, role, receiving, rationale) = cells
        # The common case, a row already in the canonical form, is checked with plain look-ups; anything else
        # (a label, a UK date, a broken rule) takes the full path below, which says what is wrong.
        found_force = self._force(force) or self._force(force.lower())
        category = CATEGORY_ALIASES.get(category) or CATEGORY_ALIASES.get(category.lower())
        outcome = OUTCOME_ALIASES.get(outcome) or OUTCOME_ALIASES.get(outcome.lower())
        criterion = CRITERION_ALIASES.get(criterion) or CRITERION_ALIASES.get(criterion.lower())
        role = AUTHORISER_ALIASES.get(role) or AUTHORISER_ALIASES.get(role.lower())
        recorded_on = self._known_date(recorded) or self._iso_date(recorded)
        decided_on = self._known_date(decided) or self._iso_date(decided)
        receiving_force = (self._force(receiving) or self._force(receiving.lower())) if receiving else None
        code = code.upper()
        if (
            found_force
            and category
            and outcome
            and criterion
            and role
            and recorded_on
            and decided_on
            and reference
            and len(reference) <= 50
            and len(code) <= 10
            and decided_on >= recorded_on
            and CRITERION_OUTCOME[criterion] == outcome
            and (outcome == Outcome.TRANSFERRED) == bool(receiving)
            and (not receiving or (receiving_force is not None and receiving_force[0] != found_force[0]))
        ):
            return DecisionValues(
                number,
                found_force[0],
                reference,
                category,
                code,
                recorded_on,
                decided_on,
                outcome,
                criterion,
                role,
                receiving_force[0] if receiving_force else None,
                rationale,
            )
        return None

    def _parse_fully(self, number: int, cells: list[str]) -> tuple[DecisionValues | None, list[RowError]]:
        (force, reference, category, code, recorded, decided, outcome, criterion, role, receiving, rationale) = cells
        row = _Row(number)
        found_force = row.force("force", force, self.forces)
        row.text("crime_reference", reference, 50, required=True)
        category = row.choice("offence_category", category, CATEGORY_ALIASES, OffenceCategory)
        code = row.text("offence_code", code.upper(), 10, read=code)
        recorded_on = row.date("recorded_on", recorded)
        decided_on = row.date("decided_on", decided)
        outcome = row.choice("outcome", outcome, OUTCOME_ALIASES, Outcome)
        criterion = row.choice("criterion", criterion, CRITERION_ALIASES, Criterion)
        role = row.choice("authoriser_role", role, AUTHORISER_ALIASES, AuthoriserRole)
        receiving_force = row.force("receiving_force", receiving, self.forces, required=False)
        if outcome and criterion and CRITERION_OUTCOME[criterion] != outcome:
            row.error(
                None,
                'outcome "transferred" needs criterion C1'
                if outcome == Outcome.TRANSFERRED
                else f'outcome "cancelled" needs criterion C2, C3, C4 or C5, not {criterion}',
            )
        elif outcome == Outcome.TRANSFERRED and not receiving:
            row.error("receiving_force", "is blank: a transfer needs the force that received it")
        elif outcome == Outcome.CANCELLED and receiving:
            row.error("receiving_force", f'"{receiving}" given for a cancellation: only a transfer has one', receiving)
        elif found_force and receiving_force and found_force[0] == receiving_force[0]:
            row.error("receiving_force", f'"{receiving}" is the force that recorded the crime', receiving)
        if recorded_on and decided_on and decided_on < recorded_on:
            row.error("decided_on", f'"{decided}" is before the crime was recorded ({recorded})', decided)
        if row.errors:
            return None, row.errors
        # Every value is valid in some accepted form (a label, a UK date): in canonical form it passes the plain path.
        canonical = [
            found_force[1],
            reference,
            category,
            code,
            recorded_on.isoformat(),
            decided_on.isoformat(),
            outcome,
            criterion,
            role,
            receiving_force[1] if receiving_force else "",
            rationale,
        ]
        return self._canonical(number, canonical), []


class ReviewValues(NamedTuple):
    """One checked row of a reviews file; the audit, decision and auditor are still names to look up."""

    row: int
    force_id: int
    audit: str
    reference: str
    decision_correct: str
    incorrect_reason: str
    victim_should_be_informed: bool
    no_need_to_inform_reason: str
    victim_informed: str
    auditor: str
    notes: str


class ReviewRowParser:
    """Checks one row of a reviews file: every answer of a finished review, and how the answers fit together."""

    def __init__(self, forces: ForceLookup | None = None):
        self.forces = forces or ForceLookup()

    def parse(self, number: int, cells: list[str]) -> tuple[ReviewValues | None, list[RowError]]:
        if UNREADABLE in "".join(cells):
            return None, unreadable_cells(number, cells, REVIEW_FILE)
        (force, audit, reference, correct, reason, should, no_need, informed, auditor, notes) = cells
        row = _Row(number)
        found_force = row.force("force", force, self.forces)
        row.text("audit", audit, 200, required=True)
        row.text("crime_reference", reference, 50, required=True)
        correct = row.choice("decision_correct", correct, VERDICT_ALIASES, Verdict)
        reason = row.choice("incorrect_reason", reason, INCORRECT_REASON_ALIASES, IncorrectReason, required=False)
        should_be_informed = row.yes_no("victim_should_be_informed", should)
        no_need = row.choice(
            "no_need_to_inform_reason", no_need, NO_NEED_REASON_ALIASES, NoNeedToInformReason, required=False
        )
        informed = row.choice("victim_informed", informed, VICTIM_INFORMED_ALIASES, VictimInformed, required=False)
        row.required("auditor", auditor)
        judged_incorrect = None if not correct else correct == Verdict.NO
        row.answer_when(
            "incorrect_reason", reason, cells[4], judged_incorrect, IncorrectReason, "the decision was judged incorrect"
        )
        if judged_incorrect and not notes:
            row.error("notes", "is blank: explain why the decision was judged incorrect")
        row.answer_when(
            "victim_informed",
            informed,
            cells[7],
            should_be_informed,
            VictimInformed,
            "the victim should have been informed",
        )
        row.answer_when(
            "no_need_to_inform_reason",
            no_need,
            cells[6],
            None if should_be_informed is None else not should_be_informed,
            NoNeedToInformReason,
            "the victim did not need to be informed",
        )
        if row.errors:
            return None, row.errors
        return (
            ReviewValues(
                number,
                found_force[0],
                audit,
                reference,
                correct,
                reason,
                should_be_informed,
                no_need,
                informed,
                auditor,
                notes,
            ),
            [],
        )


def checked_rows(table: Table, parser: DecisionRowParser, report: ImportReport) -> Iterator[DecisionValues]:
    """The file's rows that break no rule, ready for the database; the others' errors go to the report."""
    for number, cells in table.rows:
        report.rows += 1
        values, errors = parser.parse(number, cells)
        if errors:
            report.add_errors(errors)
        else:
            yield values
