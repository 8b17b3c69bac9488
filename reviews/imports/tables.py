"""The list of recent imports on the upload page, and the words for a job's outcome that the list and the job's
page share."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import ngettext

from reviews.models import ImportJob, ImportState

STATE_TAG_COLOURS = {
    ImportState.QUEUED: "govuk-tag--grey",
    ImportState.RUNNING: "govuk-tag--blue",
    ImportState.DONE: "govuk-tag--green",
    ImportState.FAILED: "govuk-tag--red",
    ImportState.CANCELLED: "govuk-tag--yellow",
}


ERRORS_FOUND = "Errors found"


def state_tag(state: str, *, error_count: int = 0) -> str:
    """The job's state as a GOV.UK tag; a job that ended by finding row errors says so, in red."""
    if state == ImportState.DONE and error_count:
        return format_html('<strong class="govuk-tag govuk-tag--red">{}</strong>', ERRORS_FOUND)
    return format_html(
        '<strong class="govuk-tag {}">{}</strong>', STATE_TAG_COLOURS.get(state, ""), ImportState(state).label
    )


def outcome_words(*, state, check_only, rows_total, counts, error_count, message) -> str:
    """What a job came to, in a line: "20,000 rows: 19,990 new, 10 updated", "12 errors, nothing saved", or why it
    failed; empty while it runs."""
    if state in (ImportState.QUEUED, ImportState.RUNNING):
        return ""
    if error_count:
        errors = ngettext("%(count)s error", "%(count)s errors", error_count) % {"count": f"{error_count:,}"}
        return f"{errors}, nothing saved"
    if state != ImportState.DONE:
        return message
    figures = [f"{counts[name]:,} {name}" for name in ("new", "updated", "unchanged") if (counts or {}).get(name)]
    rows = ngettext("%(count)s row", "%(count)s rows", rows_total or 0) % {"count": f"{rows_total or 0:,}"}
    text = f"{rows}: {', '.join(figures)}" if figures else rows
    return f"{text} (checked, nothing saved)" if check_only else text


class ImportJobTable(tables.Table):
    file_name = tables.Column(verbose_name="File", linkify=lambda record: record.get_absolute_url(), orderable=False)
    kind = tables.Column(verbose_name="Holds", orderable=False)
    check_only = tables.Column(verbose_name="Check or import", orderable=False)
    created_by = tables.Column(verbose_name="Uploaded by", orderable=False)
    created_at = tables.DateTimeColumn(verbose_name="Uploaded", format="j M Y H:i", orderable=False)
    state = tables.Column(verbose_name="State", orderable=False)
    result = tables.Column(verbose_name="Result", empty_values=(), orderable=False)

    class Meta:
        model = ImportJob
        fields = []
        sequence = ["file_name", "kind", "check_only", "created_by", "created_at", "state", "result"]
        empty_text = "No files have been uploaded yet."

    def render_kind(self, record):
        return record.get_kind_display()

    def render_check_only(self, record):
        return "Check" if record.check_only else "Import"

    def render_state(self, record):
        return state_tag(record.state, error_count=record.error_count)

    def render_result(self, record):
        return outcome_words(
            state=record.state,
            check_only=record.check_only,
            rows_total=record.rows_total,
            counts=record.counts,
            error_count=record.error_count,
            message=record.message,
        )
