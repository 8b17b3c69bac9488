"""The actions list, and its CSV and XLSX downloads."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html

from reviews.models import Action

OVERDUE = "Overdue"


class ActionTable(tables.Table):
    """Each action: the decision, the force and audit, what is to be done, how it stands and when it is due.
    Overdue actions are marked in the status column and in their own column of the downloads."""

    reference = tables.Column(
        verbose_name="Crime reference",
        accessor="decision__crime_record__reference",
        linkify=lambda record: record.get_absolute_url(),
        order_by=("decision__crime_record__reference",),
    )
    force = tables.Column(verbose_name="Force", accessor="audit__force__name", order_by=("audit__force__name",))
    audit = tables.Column(verbose_name="Audit", accessor="audit__name", order_by=("audit__name",))
    kind = tables.Column(verbose_name="Action", accessor="kind", order_by=("kind",))
    status = tables.Column(accessor="status", order_by=("status",))
    due_on = tables.DateColumn(verbose_name="Due", format="j M Y", order_by=("due_on",))
    overdue = tables.Column(verbose_name="Overdue", empty_values=(), orderable=False, visible=False)
    outcome = tables.Column(verbose_name="Outcome", accessor="outcome", order_by=("outcome",))
    outcome_details = tables.Column(verbose_name="Details", visible=False)
    victim_told_on = tables.DateColumn(verbose_name="Victim told on", format="Y-m-d", visible=False)

    class Meta:
        model = Action
        fields = []
        sequence = ["reference", "force", "audit", "kind", "status", "due_on", "outcome", "..."]
        empty_text = "No actions match."

    def __init__(self, *args, today=None, **kwargs):
        self.today = today or timezone.localdate()
        super().__init__(*args, **kwargs)

    def render_kind(self, record):
        return record.get_kind_display()

    def render_status(self, record):
        if record.is_overdue(self.today):
            return format_html(
                '{} <strong class="govuk-tag govuk-tag--red">{}</strong>', record.get_status_display(), OVERDUE
            )
        return record.get_status_display()

    def value_status(self, record):
        return record.get_status_display()

    def render_overdue(self, record):
        return "yes" if record.is_overdue(self.today) else "no"

    def render_outcome(self, record):
        return record.get_outcome_display()
