"""The lists of the audit workflow: audits, an audit's reviews, an auditor's queue."""

import django_tables2 as tables

from reviews.models import Audit, Review


class AuditTable(tables.Table):
    name = tables.Column(verbose_name="Audit", linkify=True)
    force = tables.Column(order_by=("force__name",))
    period = tables.TemplateColumn(
        "{{ record.period_start|date:'j M Y' }} to {{ record.period_end|date:'j M Y' }}",
        order_by=("period_end", "period_start"),
    )
    status = tables.TemplateColumn(
        '<strong class="govuk-tag {% if record.status == "signed_off" %}govuk-tag--green'
        '{% elif record.status == "in_progress" %}govuk-tag--blue{% else %}govuk-tag--grey{% endif %}">'
        "{{ record.get_status_display }}</strong>"
    )
    progress = tables.TemplateColumn(
        "{{ record.finished_reviews }} of {{ record.primary_reviews }} done",
        verbose_name="Reviews",
        order_by=("finished_reviews",),
    )

    class Meta:
        model = Audit
        fields = ["name", "force", "period", "status", "progress"]
        empty_text = "There are no audits you can see yet."


STATUS_TAG = (
    '<strong class="govuk-tag {% if record.status == "approved" %}govuk-tag--green'
    '{% elif record.status == "submitted" %}govuk-tag--blue{% elif record.return_comment %}govuk-tag--red'
    '{% elif record.status == "draft" %}govuk-tag--yellow{% else %}govuk-tag--grey{% endif %}">'
    '{% if record.status == "draft" and record.return_comment %}Returned{% else %}{{ record.get_status_display }}'
    "{% endif %}</strong>"
)


class SampledReviewTable(tables.Table):
    """Columns every list of sampled reviews shows; each row opens the review page."""

    reference = tables.Column(
        verbose_name="Crime reference",
        accessor="decision__crime_record__reference",
        linkify=lambda record: record.get_absolute_url(),
        order_by=("decision__crime_record__reference",),
    )
    category = tables.Column(
        verbose_name="Offence category",
        accessor="decision__crime_record__offence_category",
        order_by=("decision__crime_record__offence_category", "sample_position"),
    )
    status = tables.TemplateColumn(STATUS_TAG)

    def render_category(self, record):
        return record.decision.crime_record.get_offence_category_display()


class ReviewQueueTable(SampledReviewTable):
    """An auditor's assigned reviews, in an order that does not set known-answer items apart (see `QUEUE_ORDER`)."""

    category = tables.Column(
        verbose_name="Offence category",
        accessor="decision__crime_record__offence_category",
        order_by=("decision__crime_record__offence_category", "decision__crime_record__reference"),
    )
    audit = tables.Column(accessor="audit__name", verbose_name="Audit", order_by=("audit__name",))
    force = tables.Column(accessor="audit__force__name", verbose_name="Force", order_by=("audit__force__name",))
    decided_on = tables.DateColumn(accessor="decision__decided_on", format="j M Y", verbose_name="Decided on")

    class Meta:
        model = Review
        fields = []
        sequence = ["reference", "audit", "force", "category", "decided_on", "status"]
        empty_text = "No reviews match. Reviews appear here when a supervisor assigns them to you."


class AuditReviewTable(SampledReviewTable):
    """A supervisor's list of every review in one audit."""

    auditor = tables.Column(order_by=("auditor__first_name", "auditor__last_name"), default="Not assigned")
    kind = tables.Column(verbose_name="Review")
    decision_correct = tables.Column(verbose_name="Decision correct?", default="")

    class Meta:
        model = Review
        fields = []
        sequence = ["reference", "category", "kind", "auditor", "status", "decision_correct"]
        empty_text = "No sample has been drawn yet."
