"""django-import-export resources for the data administration pages' exports: the two exchange formats and the
audit results.

Exports write the same columns the imports read, with formula-like cells escaped, so an exported file imports back
unchanged. Files come in only through the import engine (`reviews.exchange.decisions`, `reviews.exchange.reviews`):
the data administration's import buttons hand the file to it as an import job, so there is one set of import rules.
"""

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from import_export import fields, resources, widgets

from accounts.models import User
from forces.models import Force
from reviews.exchange.cells import escape_formula
from reviews.exchange.exports import RESULT_COLUMNS, result_counts
from reviews.exchange.reading import DECISION_FILE, REVIEW_FILE
from reviews.models import Audit, CancellationDecision, Review, ReviewKind


class ForceWidget(widgets.ForeignKeyWidget):
    """A force, exported as its code."""

    def __init__(self, **kwargs):
        super().__init__(Force, field="code", **kwargs)


class YesNoWidget(widgets.Widget):
    def render(self, value, obj=None, **kwargs):
        return "" if value is None else ("yes" if value else "no")


class EscapedWidget(widgets.Widget):
    """Text a spreadsheet could take for a formula ("=HYPERLINK(...)") is exported with a leading apostrophe;
    the import engine takes it off again."""

    def render(self, value, obj=None, **kwargs):
        return escape_formula("" if value is None else str(value))


class IsoDateWidget(widgets.DateWidget):
    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class DecisionResource(resources.ModelResource):
    """One row per cancellation decision, with its crime record; found by force and crime reference."""

    force = fields.Field(attribute="crime_record__force", column_name="force", widget=ForceWidget())
    crime_reference = fields.Field(
        attribute="crime_record__reference", column_name="crime_reference", widget=EscapedWidget()
    )
    offence_category = fields.Field(attribute="crime_record__offence_category", column_name="offence_category")
    offence_code = fields.Field(
        attribute="crime_record__offence_code", column_name="offence_code", widget=EscapedWidget()
    )
    recorded_on = fields.Field(attribute="crime_record__recorded_on", column_name="recorded_on", widget=IsoDateWidget())
    decided_on = fields.Field(attribute="decided_on", column_name="decided_on", widget=IsoDateWidget())
    outcome = fields.Field(attribute="outcome", column_name="outcome")
    criterion = fields.Field(attribute="criterion", column_name="criterion")
    authoriser_role = fields.Field(attribute="authoriser_role", column_name="authoriser_role")
    receiving_force = fields.Field(attribute="receiving_force", column_name="receiving_force", widget=ForceWidget())
    rationale = fields.Field(attribute="rationale", column_name="rationale", widget=EscapedWidget())

    class Meta:
        model = CancellationDecision
        fields = DECISION_FILE.columns
        export_order = DECISION_FILE.columns

    def get_queryset(self):
        return CancellationDecision.objects.select_related("crime_record__force", "receiving_force")


class ReviewResource(resources.ModelResource):
    """One row per primary review of a sampled decision; found by force, audit name and crime reference."""

    force = fields.Field(attribute="audit__force", column_name="force", widget=ForceWidget())
    audit = fields.Field(attribute="audit__name", column_name="audit", widget=EscapedWidget())
    crime_reference = fields.Field(
        attribute="decision__crime_record__reference", column_name="crime_reference", widget=EscapedWidget()
    )
    decision_correct = fields.Field(attribute="decision_correct", column_name="decision_correct")
    incorrect_reason = fields.Field(attribute="incorrect_reason", column_name="incorrect_reason")
    victim_should_be_informed = fields.Field(
        attribute="victim_should_be_informed", column_name="victim_should_be_informed", widget=YesNoWidget()
    )
    no_need_to_inform_reason = fields.Field(
        attribute="no_need_to_inform_reason", column_name="no_need_to_inform_reason"
    )
    victim_informed = fields.Field(attribute="victim_informed", column_name="victim_informed")
    auditor = fields.Field(
        attribute="auditor", column_name="auditor", widget=widgets.ForeignKeyWidget(User, field="username")
    )
    notes = fields.Field(attribute="notes", column_name="notes", widget=EscapedWidget())

    class Meta:
        model = Review
        fields = REVIEW_FILE.columns
        export_order = REVIEW_FILE.columns

    def get_queryset(self):
        return Review.objects.filter(kind=ReviewKind.PRIMARY).select_related(
            "audit__force", "decision__crime_record", "auditor"
        )


class AuditResultResource(resources.ModelResource):
    """Audit results for the admin's export: one row per audit, its finished primary reviews counted in SQL.
    (The application's own results download splits them by offence category too.)"""

    force = fields.Field(attribute="force", column_name="force", widget=ForceWidget())
    audit = fields.Field(attribute="name", column_name="audit", widget=EscapedWidget())
    audit_status = fields.Field(attribute="status", column_name="audit_status")
    # Annotated by `filter_export`, named as the results columns.
    decisions_reviewed = fields.Field(attribute="decisions_reviewed", column_name="decisions_reviewed", readonly=True)
    correct = fields.Field(attribute="correct", column_name="correct", readonly=True)
    incorrect = fields.Field(attribute="incorrect", column_name="incorrect", readonly=True)
    cannot_tell = fields.Field(attribute="cannot_tell", column_name="cannot_tell", readonly=True)
    victims_who_should_have_been_informed = fields.Field(
        attribute="victims_who_should_have_been_informed",
        column_name="victims_who_should_have_been_informed",
        readonly=True,
    )
    victims_informed = fields.Field(attribute="victims_informed", column_name="victims_informed", readonly=True)
    victims_not_informed = fields.Field(
        attribute="victims_not_informed", column_name="victims_not_informed", readonly=True
    )

    class Meta:
        model = Audit
        fields = ("force", "audit", "audit_status", *RESULT_COLUMNS[4:])
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        # Each count over the audit's counted verdicts, as the results pages and the results download count them.
        counted = Review.objects.filter(audit_id=OuterRef("pk")).counted_verdicts().order_by().values("audit_id")
        return queryset.select_related("force").annotate(
            **{
                name: Coalesce(Subquery(counted.annotate(value=count).values("value")[:1]), 0)
                for name, count in result_counts().items()
            }
        )
