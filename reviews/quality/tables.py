"""The disagreements list."""

import django_tables2 as tables

from reviews.models import Disagreement


class DisagreementTable(tables.Table):
    """The supervisor's disagreements: which decision, which audit, what differs and whether it is settled.
    Neither verdict is shown here: the resolution page shows both side by side."""

    reference = tables.Column(
        verbose_name="Crime reference",
        accessor="decision__crime_record__reference",
        linkify=lambda record: record.get_absolute_url(),
        order_by=("decision__crime_record__reference",),
    )
    audit = tables.Column(accessor="audit__name", verbose_name="Audit", order_by=("audit__name",))
    category = tables.Column(
        verbose_name="Offence category",
        accessor="decision__crime_record__offence_category",
        order_by=("decision__crime_record__offence_category",),
    )
    differs = tables.Column(verbose_name="Differ on", accessor="differs_on", orderable=False)
    auditors = tables.TemplateColumn(
        "{{ record.primary_review.auditor }} and {{ record.second_review.auditor }}", orderable=False
    )
    status = tables.TemplateColumn(
        '{% if record.is_resolved %}<strong class="govuk-tag govuk-tag--green">Resolved</strong>'
        '{% else %}<strong class="govuk-tag govuk-tag--red">Waiting for a final verdict</strong>{% endif %}',
        order_by=("resolved_at",),
    )

    class Meta:
        model = Disagreement
        fields = []
        sequence = ["reference", "audit", "category", "differs", "auditors", "status"]
        empty_text = "No disagreements match."

    def render_category(self, record):
        return record.decision.crime_record.get_offence_category_display()
