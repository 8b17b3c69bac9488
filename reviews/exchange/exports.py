"""Exports of decisions, reviews and audit results as CSV or XLSX, scoped to what the user may see.

CSV streams: rows are read from the database in chunks (a server-side cursor on PostgreSQL) and written as they
come, so an export of 200,000 decisions starts at once and holds one chunk at a time. XLSX is written row by row
by openpyxl's write-only workbook to a temporary file, which is then sent. Cells a spreadsheet would take for a
formula ("=", "+", "-", "@" at the start) get a leading apostrophe; the imports take it off again.
"""

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice

import django_filters
from django.db.models import Count, F, Q, QuerySet, Value

from reviews.exchange.cells import escape_formula
from reviews.exchange.filters import AuditScopedFilter, DecisionExportFilter
from reviews.exchange.reading import DECISION_FILE, REVIEW_FILE
from reviews.models import (
    AuditStatus,
    CancellationDecision,
    Review,
    ReviewKind,
    ReviewStatus,
    VictimInformed,
)
from reviews.permissions import sees_decisions, sees_others_work, sees_results
from reviews.results.selectors import FIGURES

# Rows fetched from the database, and written to the response, at a time.
CHUNK_ROWS = 2_000
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value):
    """A database value as an export cell: text escaped, dates as ISO dates, yes/no for booleans, blank for None."""
    if value is None:
        return ""
    if isinstance(value, str):
        return escape_formula(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


# The decision's fields behind each column of the decisions format, in its order.
DECISION_FIELDS = (
    "force__code",
    "crime_record__reference",
    "crime_record__offence_category",
    "crime_record__offence_code",
    "recorded_on",
    "decided_on",
    "outcome",
    "criterion",
    "authoriser_role",
    "receiving_force__code",
    "rationale",
)


def decision_rows(queryset: QuerySet, user) -> Iterator[tuple]:
    return queryset.values_list(*DECISION_FIELDS).iterator(chunk_size=CHUNK_ROWS)


def review_rows(queryset: QuerySet, user) -> Iterator[tuple]:
    """Primary reviews in the reviews format. Only the audit team and data stewards learn who reviewed what:
    for a force contact the auditor column is blank."""
    auditor = F("auditor__username") if sees_decisions(user) else Value("")
    return (
        queryset.filter(kind=ReviewKind.PRIMARY)
        .annotate(auditor_name=auditor)
        .values_list(
            "audit__force__code",
            "audit__name",
            "decision__crime_record__reference",
            "decision_correct",
            "incorrect_reason",
            "victim_should_be_informed",
            "no_need_to_inform_reason",
            "victim_informed",
            "auditor_name",
            "notes",
        )
        .iterator(chunk_size=CHUNK_ROWS)
    )


RESULT_COLUMNS = (
    "force",
    "audit",
    "audit_status",
    "offence_category",
    "decisions_reviewed",
    "correct",
    "incorrect",
    "cannot_tell",
    "victims_who_should_have_been_informed",
    "victims_informed",
    "victims_not_informed",
)


# Each results column that the results pages also count (`reviews.results.selectors.FIGURES`), and the figure it is.
RESULT_FIGURES = {
    "decisions_reviewed": "reviewed",
    "correct": "correct",
    "incorrect": "incorrect",
    "cannot_tell": "cannot_tell",
    "victims_who_should_have_been_informed": "victims_should",
    "victims_not_informed": "victims_not_told",
}


def result_counts() -> dict[str, Count]:
    """The counts of results, as aggregates over finished counted verdicts (`ReviewQuerySet.counted_verdicts`:
    a resolved disagreement's final verdict, otherwise the primary review), in the order of the results columns.
    Each is the results pages' own figure, so a download and a page cannot count a verdict differently."""
    finished = Q(status__in=ReviewStatus.finished())

    def count(condition: Q | None) -> Count:
        return Count("pk", filter=finished & condition if condition else finished)

    counts = {column: count(FIGURES[figure].filter) for column, figure in RESULT_FIGURES.items()}
    counts["victims_informed"] = count(Q(victim_should_be_informed=True, victim_informed=VictimInformed.YES))
    return {column: counts[column] for column in RESULT_COLUMNS[4:]}


def result_rows(queryset: QuerySet, user) -> Iterator[tuple]:
    """Finished counted verdicts, counted per audit and offence category in SQL, as the results pages count them."""
    return (
        queryset.counted_verdicts()
        .filter(status__in=ReviewStatus.finished())
        .values_list("audit__force__code", "audit__name", "audit__status", "decision__crime_record__offence_category")
        .annotate(**result_counts())
        .order_by("audit__force__code", "audit__name", "decision__crime_record__offence_category")
        .iterator(chunk_size=CHUNK_ROWS)
    )


# Reviews by audit, category and crime reference: never in the order they were created, in which known-answer
# items (added after the draw) would come last in each audit.
REVIEW_ORDER = ("audit_id", "decision__crime_record__offence_category", "decision__crime_record__reference", "kind")


def result_reviews(user) -> QuerySet:
    """The reviews whose results `user` may download. Results leave known-answer items out, so an audit's results
    in progress beside its reviews would tell an auditor how many there are: someone blind to others' work gets the
    results of signed-off audits only, as the results pages show them."""
    reviews = Review.objects.visible_to(user).blind_for(user)
    return reviews if sees_others_work(user) else reviews.filter(audit__status=AuditStatus.SIGNED_OFF)


@dataclass(frozen=True)
class Export:
    """One downloadable table: its columns, who may have it, the rows they may see, and its filters."""

    name: str
    columns: tuple[str, ...]
    allowed: Callable
    queryset: Callable[[object], QuerySet]
    filterset: type[django_filters.FilterSet]
    rows: Callable[[QuerySet, object], Iterable[tuple]]


EXPORTS = {
    "decisions": Export(
        name="decisions",
        columns=DECISION_FILE.columns,
        allowed=sees_decisions,
        queryset=lambda user: CancellationDecision.objects.order_by("pk"),
        filterset=DecisionExportFilter,
        rows=decision_rows,
    ),
    "reviews": Export(
        name="reviews",
        columns=REVIEW_FILE.columns,
        allowed=sees_results,
        queryset=lambda user: Review.objects.visible_to(user).blind_for(user).order_by(*REVIEW_ORDER),
        filterset=AuditScopedFilter,
        rows=review_rows,
    ),
    "results": Export(
        name="audit-results",
        columns=RESULT_COLUMNS,
        allowed=sees_results,
        queryset=result_reviews,
        filterset=AuditScopedFilter,
        rows=result_rows,
    ),
}


def csv_chunks(columns: Iterable[str], rows: Iterable[tuple]) -> Iterator[str]:
    """CSV text, a header then `CHUNK_ROWS` rows at a time. It starts with a byte-order mark so that Excel
    reads accented names correctly; the imports accept it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(columns)
    yield buffer.getvalue()
    rows = iter(rows)
    while chunk := list(islice(rows, CHUNK_ROWS)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_cell(value) for value in row] for row in chunk)
        yield buffer.getvalue()


def xlsx_file(columns: Iterable[str], rows: Iterable[tuple], *, title: str):
    """An XLSX workbook of one sheet, written row by row to a temporary file that is deleted once closed;
    returned open and rewound, for a `FileResponse` to send and close."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(columns))
    for row in rows:
        sheet.append(
            [
                ILLEGAL_CHARACTERS_RE.sub("", escape_formula(value))
                if isinstance(value, str)
                else ("yes" if value else "no")
                if isinstance(value, bool)
                else value
                for value in row
            ]
        )
    file = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it once sent
    workbook.save(file)
    file.seek(0)
    return file
