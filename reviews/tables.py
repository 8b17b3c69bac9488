import django_tables2 as tables

from reviews.models import Audit


class AuditTable(tables.Table):
    name = tables.Column(verbose_name="Audit")
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
