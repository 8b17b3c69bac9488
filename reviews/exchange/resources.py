"""django-import-export resources for the two exchange formats, used by the data administration pages.

The resources read files and check rows with the same code as the management commands (`reading`, `rows` and
`reviews` in `reviews.exchange`), so a row gets the same message whichever way it comes in. Exports write the same
columns the imports read, with formula-like cells escaped, so an exported file imports back unchanged.
"""

import io
from datetime import date

import tablib
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from import_export import fields, resources, widgets
from import_export.formats import base_formats

from accounts.models import User
from forces.models import Force
from reviews.errors import ImportFileError
from reviews.exchange.cells import escape_formula
from reviews.exchange.exports import RESULT_COLUMNS, result_counts
from reviews.exchange.reading import (
    DECISION_FILE,
    NO_RECORDS,
    REVIEW_FILE,
    FileSpec,
    ImportReport,
    RowError,
    open_table,
)
from reviews.exchange.reviews import create_missing_audits, plan_reviews, review_from_plan
from reviews.exchange.rows import DecisionRowParser
from reviews.models import Audit, AuditStatus, CancellationDecision, CrimeRecord, Review, ReviewKind


class ForceWidget(widgets.ForeignKeyWidget):
    """A force named by its code, current name or a former name, whatever the case; exported as its code."""

    def __init__(self, **kwargs):
        super().__init__(Force, field="code", **kwargs)

    def clean(self, value, row=None, **kwargs):
        if not value:
            return None
        try:
            return Force.objects.resolve(str(value))
        except Force.DoesNotExist as error:
            raise ValueError(f'no force called "{value}"') from error


class YesNoWidget(widgets.Widget):
    def render(self, value, obj=None, **kwargs):
        return "" if value is None else ("yes" if value else "no")


class EscapedWidget(widgets.Widget):
    """Text a spreadsheet could take for a formula ("=HYPERLINK(...)") is exported with a leading apostrophe;
    the imports take it off again."""

    def render(self, value, obj=None, **kwargs):
        return escape_formula("" if value is None else str(value))


class IsoDateWidget(widgets.DateWidget):
    def __init__(self):
        super().__init__(format="%Y-%m-%d")


def spreadsheet_format(spec: FileSpec):
    """An import format for the admin that reads a CSV (UTF-8 or Windows-1252) or XLSX file the way the
    management commands do: same size limit, same column checks, same notices."""

    class SpreadsheetFile(base_formats.Format):
        def __init__(self, encoding=None):
            # The encoding is found from the file itself (UTF-8 or Windows-1252), whatever the admin passes.
            super().__init__()

        def get_title(self):
            return "CSV or XLSX"

        def create_dataset(self, in_stream):
            table = open_table(io.BytesIO(in_stream), spec=spec)
            dataset = tablib.Dataset(headers=list(spec.columns))
            row_numbers = []
            for number, cells in table.rows:
                row_numbers.append(number)
                dataset.append(cells)
            if not row_numbers:
                raise ImportFileError(NO_RECORDS)
            # Read back by the resource, which reports rows by the spreadsheet's numbering and shows the notices.
            dataset.row_numbers = row_numbers
            dataset.notices = table.notices
            return dataset

        def is_binary(self):
            return True

        def get_read_mode(self):
            return "rb"

        def get_extension(self):
            return "csv"

        def can_import(self):
            return True

        def can_export(self):
            return False

    return SpreadsheetFile


def _validation_error(errors: list[RowError]) -> ValidationError:
    by_column: dict[str, list[str]] = {}
    for error in errors:
        by_column.setdefault(error.column or "__all__", []).append(str(error))
    return ValidationError(by_column)


class ExchangeResource(resources.ModelResource):
    """What both exchange formats share: spreadsheet row numbers, notices shown with the preview, formula escaping."""

    def before_import(self, dataset, **kwargs):
        self._row_numbers = getattr(dataset, "row_numbers", None)
        self._notices = list(getattr(dataset, "notices", []))

    def before_import_row(self, row, row_number=None, **kwargs):
        self._row = self._row_numbers[row_number - 1] if self._row_numbers else row_number + 1

    def after_import(self, dataset, result, **kwargs):
        result.notices = self._notices


class DecisionResource(ExchangeResource):
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
        import_id_fields = ("force", "crime_reference")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        batch_size = 1000

    def get_queryset(self):
        return CancellationDecision.objects.select_related("crime_record__force", "receiving_force")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self._parser = DecisionRowParser()
        self._first_row: dict[tuple[int, str], int] = {}

    def before_import_row(self, row, row_number=None, **kwargs):
        super().before_import_row(row, row_number=row_number, **kwargs)
        cells = [str(row.get(column) or "").strip() for column in DECISION_FILE.columns]
        self._values, self._errors = self._parser.parse(self._row, cells)
        if self._values is not None:
            key = (self._values.force_id, self._values.reference)
            if key in self._first_row:
                self._errors = [
                    RowError(
                        self._row,
                        "crime_reference",
                        f'"{self._values.reference}" is already in row {self._first_row[key]} for the same force',
                    )
                ]
                self._values = None
            else:
                self._first_row[key] = self._row

    def get_instance(self, instance_loader, row):
        if self._values is None:
            return None
        return (
            self.get_queryset()
            .filter(force_id=self._values.force_id, crime_record__reference=self._values.reference)
            .first()
        )

    def init_instance(self, row=None):
        record = None
        if self._values is not None:
            record = CrimeRecord.objects.filter(
                force_id=self._values.force_id, reference=self._values.reference
            ).first()
        return CancellationDecision(crime_record=record or CrimeRecord())

    def import_instance(self, instance, row, **kwargs):
        if self._values is None:
            raise _validation_error(self._errors)
        values = self._values
        record = instance.crime_record
        record.force_id = values.force_id
        record.reference = values.reference
        record.offence_category = values.offence_category
        record.offence_code = values.offence_code
        record.recorded_on = date.fromisoformat(values.recorded_on)
        instance.outcome = values.outcome
        instance.criterion = values.criterion
        instance.decided_on = date.fromisoformat(values.decided_on)
        instance.authoriser_role = values.authoriser_role
        instance.receiving_force_id = values.receiving_force_id
        instance.rationale = values.rationale

    def skip_row(self, instance, original, row, import_validation_errors=None):
        skip = super().skip_row(instance, original, row, import_validation_errors)
        if not skip and instance.pk and self._in_signed_off_audit(instance):
            self._errors = [
                RowError(
                    self._row,
                    "crime_reference",
                    f'"{instance.crime_record.reference}" is reviewed in the signed-off audit '
                    f'"{self._signed_off_audit}": its decision can no longer change',
                )
            ]
            raise _validation_error(self._errors)
        return skip

    def _in_signed_off_audit(self, decision) -> bool:
        review = (
            Review.objects.filter(decision=decision, audit__status=AuditStatus.SIGNED_OFF)
            .select_related("audit")
            .first()
        )
        self._signed_off_audit = review.audit.name if review else None
        return review is not None

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # The row rules were checked by the parser; the models check again, as every save path does.
        errors = dict(import_validation_errors or {})
        try:
            instance.crime_record.full_clean(validate_unique=instance.crime_record.pk is None)
            instance.full_clean(exclude=["crime_record"], validate_unique=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def do_instance_save(self, instance, is_create):
        record = instance.crime_record
        record.save()
        instance.crime_record = record
        instance.save()

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        # Bulk mode: the new crime records go in first, in bulk too, so each decision has its record's id.
        if self.create_instances and (using_transactions or not dry_run):
            records = [decision.crime_record for decision in self.create_instances if decision.crime_record.pk is None]
            CrimeRecord.objects.bulk_create(records, batch_size=batch_size)
            for decision in self.create_instances:
                # Assigning the now-saved record again gives the decision its record's new id.
                decision.crime_record = decision.crime_record
                decision._copy_from_crime_record()
        super().bulk_create(using_transactions, dry_run, raise_errors, batch_size=batch_size, result=result)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.update_instances and (using_transactions or not dry_run):
            records = [decision.crime_record for decision in self.update_instances]
            CrimeRecord.objects.bulk_update(
                records, ["offence_category", "offence_code", "recorded_on"], batch_size=batch_size
            )
            for decision in self.update_instances:
                decision._copy_from_crime_record()
        super().bulk_update(using_transactions, dry_run, raise_errors, batch_size=batch_size, result=result)

    def get_bulk_update_fields(self):
        return ["outcome", "criterion", "decided_on", "authoriser_role", "receiving_force", "rationale", "recorded_on"]


class ReviewResource(ExchangeResource):
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

    def __init__(self, *, reopen_approved: bool = False, **kwargs):
        """`reopen_approved`: the import may change approved reviews (see `reviews_import`)."""
        super().__init__(**kwargs)
        self.reopen_approved = reopen_approved

    class Meta:
        model = Review
        fields = REVIEW_FILE.columns
        export_order = REVIEW_FILE.columns
        import_id_fields = ("force", "audit", "crime_reference")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def get_queryset(self):
        return Review.objects.filter(kind=ReviewKind.PRIMARY).select_related(
            "audit__force", "decision__crime_record", "auditor"
        )

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        numbers = self._row_numbers or [index + 2 for index in range(len(dataset))]
        rows = (
            (number, [str(value or "").strip() for value in values])
            for number, values in zip(numbers, dataset, strict=True)
        )
        report = ImportReport(format_name="reviews")
        self._plan = plan_reviews(rows, report=report, reopen_approved=self.reopen_approved)
        self._notices += report.notices
        # The whole file is one transaction: on a dry run these audits are rolled back with everything else.
        self._audits = create_missing_audits(self._plan, by=kwargs.get("user"))

    def get_instance(self, instance_loader, row):
        planned = self._plan.planned.get(self._row)
        return planned.review if planned else None

    def init_instance(self, row=None):
        planned = self._plan.planned.get(self._row)
        if planned is None or planned.audit_key not in self._audits:
            return Review()
        return Review(audit=self._audits[planned.audit_key], decision=planned.decision, kind=ReviewKind.PRIMARY)

    def import_instance(self, instance, row, **kwargs):
        planned = self._plan.planned.get(self._row)
        if planned is None or planned.audit_key not in self._audits:
            errors = self._plan.errors_by_row.get(self._row) or [
                RowError(self._row, None, "not imported: other rows of the file have errors")
            ]
            raise _validation_error(errors)
        review_from_plan(planned, self._audits[planned.audit_key], now=self._now, review=instance)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        planned = self._plan.planned.get(self._row)
        return planned is not None and not import_validation_errors and not planned.changed

    def import_data_inner(self, *args, **kwargs):
        from django.utils import timezone

        self._now = timezone.now()
        return super().import_data_inner(*args, **kwargs)


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
