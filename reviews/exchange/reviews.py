"""The reviews import: a completed audit from a spreadsheet, one row per reviewed decision.

A reviews file is one audit or a few (about 20 decisions per category per force), so rows are checked in memory,
with every lookup (decisions, audits, auditors, existing reviews) made for the whole file at once.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.models import User
from forces.models import Force
from reviews.errors import ImportFileError, ImportRefused
from reviews.exchange.progress import CHECKING, NO_PROGRESS, READING, WRITING, Progress
from reviews.exchange.reading import ERROR_CAP, NO_RECORDS, REVIEW_FILE, ImportReport, RowError, by_row, open_table
from reviews.exchange.rows import ReviewRowParser, ReviewValues
from reviews.models import Audit, AuditStatus, CancellationDecision, Review, ReviewKind, ReviewStatus
from reviews.permissions import may_be_given_reviews
from reviews.quality.services import disagreement_detect
from reviews.workflow.planning import audit_create

LOOKUP_CHUNK = 500
# Rows checked between two reports of progress.
PROGRESS_ROWS = 5_000
IMPORT_REASON = "Imported from a reviews file"
REOPEN_REASON = "Approved review reopened by a reviews file: its answers replaced, back for approval"
REOPEN_NEEDS_PERSON = (
    "Reopening approved reviews needs the person importing, whose name goes into each reopened review's "
    "history. Nothing was imported."
)


@dataclass
class PlannedReview:
    """A checked row with what it names: the decision, the auditor, the audit (None until created) and the
    review it updates (None when new). `reopens` is an approved review the file changes, which goes back to
    "submitted" only when the import was asked to reopen approved reviews."""

    values: ReviewValues
    decision: CancellationDecision
    auditor: User
    audit_key: tuple[int, str]
    audit: Audit | None
    review: Review | None
    changed: bool
    reopens: bool = False


@dataclass
class ReviewPlan:
    report: ImportReport
    planned: dict[int, PlannedReview] = field(default_factory=dict)
    errors_by_row: dict[int, list[RowError]] = field(default_factory=lambda: defaultdict(list))
    audits_to_create: dict[tuple[int, str], list[CancellationDecision]] = field(default_factory=dict)


def reviews_import(
    *,
    file: IO[bytes],
    dry_run: bool = False,
    by: User | None = None,
    reopen_approved: bool = False,
    progress: Progress = NO_PROGRESS,
    errors: Callable[[RowError], object] | None = None,
    listed_errors: int = ERROR_CAP,
) -> ImportReport:
    """Create or update the reviews in a reviews file (CSV or XLSX), creating any audit it names that does not
    exist yet, all or nothing.

    An approved review whose answers or auditor the file changes is refused, unless `reopen_approved` asks
    for it to go back to "submitted" with the file's answers; the history of each such review then names
    `by`, the person importing, who is therefore required.

    Raises `ImportFileError` for a file that cannot be read, and `ImportRefused` with every row error when a
    row breaks a rule: an unknown force or decision, an auditor who does not hold the auditor role, an audit
    that is signed off, a decision outside an existing audit's period, answers that do not fit together, an
    approved review changed without `reopen_approved`. A dry run reports the counts and writes nothing.

    `progress`, `errors` and `listed_errors` as for `decisions_import`: the rows are checked before anything is
    written, so a cancellation while checking has nothing to undo, and one while writing undoes the writes.
    """
    if reopen_approved and by is None:
        raise ImportFileError(REOPEN_NEEDS_PERSON)
    progress.phase(READING)
    table = open_table(file, spec=REVIEW_FILE, count=progress.wants_total)
    report = ImportReport(
        format_name="reviews", dry_run=dry_run, notices=table.notices, listed=listed_errors, on_error=errors
    )
    progress.phase(CHECKING, total=table.total)
    plan = plan_reviews(table.rows, report=report, reopen_approved=reopen_approved, progress=progress)
    if report.rows == 0:
        raise ImportFileError(NO_RECORDS)
    if not report.ok:
        raise ImportRefused(report)
    if not dry_run:
        with transaction.atomic():
            progress.phase(WRITING)
            audits = create_missing_audits(plan, by=by)
            reviews_save(plan, audits=audits, by=by)
    return report


def plan_reviews(
    rows: Iterable[tuple[int, list[str]]],
    *,
    report: ImportReport,
    reopen_approved: bool = False,
    progress: Progress = NO_PROGRESS,
) -> ReviewPlan:
    """Check every row and look up what it names; row errors go into `report` (every one to `report.on_error`,
    in row order) and `plan.errors_by_row`. An approved review the file would change is a row error unless
    `reopen_approved`. `progress` hears of the rows checked every `PROGRESS_ROWS` rows and at the end."""
    plan = ReviewPlan(report=report)
    checked = _parsed_rows(rows, plan, progress)
    found = _Lookups.of(checked)
    for values in checked:
        errors = plan.errors_by_row[values.row]
        errors.extend(found.errors(values))
        if errors:
            continue
        audit_key = (values.force_id, values.audit)
        audit = found.audits.get(audit_key)
        decision = found.decisions[(values.force_id, values.reference)]
        auditor = found.auditors[values.auditor.lower()]
        review = found.existing.get((audit.pk, decision.pk)) if audit is not None else None
        if review is not None and review.second_auditor_id == auditor.pk:
            errors.append(RowError(values.row, "auditor", _same_auditor_message(values), values.auditor))
            continue
        changed = review is None or _differs(review, values, auditor)
        reopens = changed and review is not None and review.status == ReviewStatus.APPROVED
        if reopens and not reopen_approved:
            errors.append(RowError(values.row, None, _approved_message(values)))
            continue
        plan.planned[values.row] = PlannedReview(values, decision, auditor, audit_key, audit, review, changed, reopens)
        if audit is None:
            plan.audits_to_create.setdefault(audit_key, []).append(decision)
    _fill_report(plan, force_codes=found.force_codes)
    progress.advance(report.rows)
    return plan


def _same_auditor_message(values: ReviewValues) -> str:
    return (
        f'"{values.auditor}" makes the blind second review of "{values.reference}": the primary review must be by '
        "a different auditor"
    )


def _approved_message(values: ReviewValues) -> str:
    return (
        f'the review of "{values.reference}" in "{values.audit}" is approved and the file changes it: an import '
        "leaves approved reviews as they are unless it is asked to reopen them"
    )


def _parsed_rows(rows: Iterable[tuple[int, list[str]]], plan: ReviewPlan, progress: Progress) -> list[ReviewValues]:
    """The rows that parse, each decision once per audit; the others' errors go to `plan.errors_by_row`."""
    parser = ReviewRowParser()
    checked: list[ReviewValues] = []
    first_row: dict[tuple[int, str, str], int] = {}
    for number, cells in rows:
        plan.report.rows += 1
        values, errors = parser.parse(number, cells)
        if values is not None:
            key = (values.force_id, values.audit, values.reference)
            if key in first_row:
                message = f'"{values.reference}" is already in row {first_row[key]} for the same audit'
                errors = [RowError(number, "crime_reference", message, values.reference)]
            else:
                first_row[key] = number
                checked.append(values)
        plan.errors_by_row[number].extend(errors)
        if plan.report.rows % PROGRESS_ROWS == 0:
            progress.advance(plan.report.rows)
    return checked


@dataclass
class _Lookups:
    """Everything the checked rows name, looked up for the whole file at once."""

    decisions: dict[tuple[int, str], CancellationDecision]
    audits: dict[tuple[int, str], Audit]
    auditors: dict[str, User]
    existing: dict[tuple[int, int], Review]
    force_codes: dict[int, str]

    @classmethod
    def of(cls, checked: list[ReviewValues]) -> "_Lookups":
        decisions = _decisions(checked)
        audits = {
            (audit.force_id, audit.name): audit
            for audit in Audit.objects.filter(
                force_id__in={values.force_id for values in checked}, name__in={values.audit for values in checked}
            )
        }
        auditors = {
            user.username_key: user
            for user in User.objects.annotate(username_key=Lower("username"))
            .filter(is_active=True, username_key__in={values.auditor.lower() for values in checked})
            # Their roles, for the assignment rule, in one query rather than one per person.
            .prefetch_related("groups")
        }
        existing = {
            (review.audit_id, review.decision_id): review
            for review in Review.objects.filter(
                kind=ReviewKind.PRIMARY,
                audit__in=list(audits.values()),
                decision__in=[decision.pk for decision in decisions.values()],
            )
            # Its blind second review, if it has one, and who makes it (`Review.clean` asks this per review).
            .annotate(second_review_pk=F("second_review"), second_auditor_id=F("second_review__auditor"))
        }
        return cls(decisions, audits, auditors, existing, dict(Force.objects.values_list("pk", "code")))

    def errors(self, values: ReviewValues) -> list[RowError]:
        """What is wrong with what the row names: an unknown decision, an auditor who may not be given reviews
        (the rule the assignment pages apply), a signed-off audit, a decision outside the audit's period."""
        number, errors = values.row, []
        decision = self.decisions.get((values.force_id, values.reference))
        if decision is None:
            force = self.force_codes[values.force_id]
            message = f'{force} has no decision with crime reference "{values.reference}"'
            errors.append(RowError(number, "crime_reference", message, values.reference))
        auditor = self.auditors.get(values.auditor.lower())
        if auditor is None:
            errors.append(RowError(number, "auditor", f'no active user called "{values.auditor}"', values.auditor))
        elif not may_be_given_reviews(auditor):
            message = f'"{values.auditor}" does not have the auditor role, so cannot be given reviews'
            errors.append(RowError(number, "auditor", message, values.auditor))
        audit = self.audits.get((values.force_id, values.audit))
        if audit is not None and audit.is_locked:
            message = f'"{values.audit}" is signed off: its reviews can no longer change'
            errors.append(RowError(number, "audit", message, values.audit))
        elif (
            audit is not None
            and decision is not None
            and not audit.period_start <= decision.decided_on <= audit.period_end
        ):
            errors.append(
                RowError(
                    number,
                    "crime_reference",
                    f'"{values.reference}" was decided on {decision.decided_on:%d/%m/%Y}, outside the audit\'s period '
                    f"({audit.period_start:%d/%m/%Y} to {audit.period_end:%d/%m/%Y})",
                    values.reference,
                )
            )
        return errors


def _fill_report(plan: ReviewPlan, *, force_codes: dict[int, str]) -> None:
    report = plan.report
    report.add_errors(sorted((error for errors in plan.errors_by_row.values() for error in errors), key=by_row))
    report.hand_over_errors()
    if report.ok:
        report.new = sum(1 for item in plan.planned.values() if item.review is None)
        report.updated = sum(1 for item in plan.planned.values() if item.review is not None and item.changed)
        report.unchanged = sum(1 for item in plan.planned.values() if not item.changed)
        for force_id, name in plan.audits_to_create:
            report.notices.append(f'The audit "{name}" of {force_codes[force_id]} does not exist yet: it is created.')


def _decisions(checked: list[ReviewValues]) -> dict[tuple[int, str], CancellationDecision]:
    """The decisions the rows name, by (force, crime reference): a query per `LOOKUP_CHUNK` references."""
    found = {}
    wanted = sorted({(values.force_id, values.reference) for values in checked})
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        queryset = CancellationDecision.objects.filter(
            force_id__in={force_id for force_id, _ in chunk},
            crime_record__reference__in={reference for _, reference in chunk},
        ).select_related("crime_record")
        for decision in queryset:
            found[(decision.force_id, decision.crime_record.reference)] = decision
    return found


def _differs(review: Review, values: ReviewValues, auditor: User) -> bool:
    return (
        review.auditor_id != auditor.pk
        or review.status not in ReviewStatus.finished()
        or any(getattr(review, name) != getattr(values, name) for name in Review.ANSWER_FIELDS)
    )


def create_missing_audits(plan: ReviewPlan, *, by: User | None) -> dict[tuple[int, str], Audit]:
    """Create each audit the file names that does not exist: its period spans its decisions, and it samples
    each of their categories with as many decisions as the file has. Returns every audit the plan uses."""
    audits = {item.audit_key: item.audit for item in plan.planned.values() if item.audit is not None}
    forces = Force.objects.in_bulk({force_id for force_id, _ in plan.audits_to_create})
    for (force_id, name), decisions in plan.audits_to_create.items():
        audit = audit_create(
            force=forces[force_id],
            name=name,
            period_start=min(decision.decided_on for decision in decisions),
            period_end=max(decision.decided_on for decision in decisions),
            categories=Counter(decision.crime_record.offence_category for decision in decisions),
            created_by=by,
        )
        audit.status = AuditStatus.IN_PROGRESS
        audit.full_clean()
        audit.save()
        audits[(force_id, name)] = audit
    return audits


def review_from_plan(item: PlannedReview, audit: Audit, *, now, review: Review | None = None) -> Review:
    """The planned row as a review: a new one, or the existing one with the file's answers. A changed answer
    makes the review "submitted" again, so an approved review the import was asked to reopen goes back for
    approval, and its history says so."""
    review = review or item.review or Review(audit=audit, decision=item.decision, kind=ReviewKind.PRIMARY)
    if not item.changed:
        return review
    for name in Review.ANSWER_FIELDS:
        setattr(review, name, getattr(item.values, name))
    review.auditor = item.auditor
    if review.pk is not None:
        # A page open on this review before the import can no longer save over it.
        review.version += 1
    review.status = ReviewStatus.SUBMITTED
    review.submitted_at = now
    review.keep_first_submission(now)
    review.updated_at = now
    review._change_reason = REOPEN_REASON if item.reopens else IMPORT_REASON
    # Every rule of `Review.clean()` was checked by the row parser and the plan (answers that fit together, the
    # decision in the audit's force and period, the audit not signed off, the second review's auditor not the
    # primary's), with the foreign keys and the unique rule looked up for the whole file: only the fields' own
    # checks are left, which need no query per row.
    review.clean_fields(exclude=["audit", "decision", "auditor"])
    return review


def reviews_save(plan: ReviewPlan, *, audits: dict[tuple[int, str], Audit], by: User | None = None) -> None:
    """Write the planned reviews, with a history entry each, then look for a disagreement in each blind pair whose
    primary review the file changed, as a submission on the review page does (`by` is named in its history). The
    audits are locked first, as the review pages lock them, so an audit signed off since the file was checked
    refuses the import."""
    _lock_open_audits(audits.values())
    now = timezone.now()
    new, changed = [], []
    for item in plan.planned.values():
        review = review_from_plan(item, audits[item.audit_key], now=now)
        if item.review is None:
            new.append(review)
        elif item.changed:
            changed.append(review)
    bulk_create_with_history(
        new, Review, batch_size=LOOKUP_CHUNK, default_user=by, default_change_reason=IMPORT_REASON, default_date=now
    )
    bulk_update_with_history(
        changed,
        Review,
        [
            *Review.ANSWER_FIELDS,
            *Review.FIRST_SUBMITTED_FIELDS.values(),
            "first_submitted_at",
            "auditor",
            "status",
            "submitted_at",
            "updated_at",
            "version",
        ],
        batch_size=LOOKUP_CHUNK,
        default_user=by,
        default_change_reason=IMPORT_REASON,
        default_date=now,
    )
    # Only an existing primary review can have a second review: a query or a few per pair, none without pairs.
    for review in changed:
        if review.second_review_pk is not None:
            disagreement_detect(review=review, by=by)


def _lock_open_audits(audits: Iterable[Audit]) -> None:
    """Lock the rows of `audits` for the rest of the transaction (every one of them, whatever its status); refuse
    the import if one was signed off since the file was checked."""
    locked = Audit.objects.select_for_update().filter(pk__in=[audit.pk for audit in audits]).order_by("pk")
    signed_off = sorted(audit.name for audit in locked if audit.status == AuditStatus.SIGNED_OFF)
    if signed_off:
        raise ImportFileError(
            f'Audit "{signed_off[0]}" was signed off while the file was being checked: its reviews can no longer '
            "change. Nothing was imported."
        )
