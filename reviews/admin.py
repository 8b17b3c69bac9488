"""The data administration pages (the data steward's tool): exports through django-import-export
(`reviews.exchange.resources`), imports handed to the import engine as background jobs (`reviews.imports`),
downloads on the access records, a signed-off audit's reviews read-only, and actions read-only (their outcomes
are recorded in the service's own pages, with history; none is ever deleted)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from import_export.admin import ExportMixin
from import_export.formats import base_formats

from accounts.admin import ReadOnlyAdmin
from accounts.models import AccessAction
from accounts.services import access_record, filters_from_query
from reviews.errors import AUDIT_LOCKED_MESSAGE
from reviews.exchange.resources import AuditResultResource, DecisionResource, ReviewResource
from reviews.imports.forms import ImportUploadForm
from reviews.models import (
    Action,
    Audit,
    AuditCategory,
    CancellationDecision,
    CrimeRecord,
    ImportKind,
    ImportVia,
    PublishedResults,
    Review,
)
from reviews.permissions import may_administer_data, sees_draw, sees_others_work


class LockedAuditMixin:
    """Reviews of a signed-off audit are evidence: the admin shows them but cannot change them."""

    def _locked(self, obj) -> bool:
        return obj is not None and self._audit_of(obj).is_locked

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        # The "delete selected" action asks here what it may delete: naming the signed-off reviews as
        # lacking permission makes the action refuse (403) instead of deleting them with the queryset.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(self._locked(obj) for obj in objs):
            perms_needed = {*perms_needed, "reviews of a signed-off audit"}
        return deleted, counts, perms_needed, protected


class RecordedExportMixin:
    """Admin exports leave an access record: who exported which table, filtered how, and how many rows."""

    def get_data_for_export(self, request, queryset, **kwargs):
        data = super().get_data_for_export(request, queryset, **kwargs)
        access_record(
            user=request.user,
            action=AccessAction.EXPORTED,
            request=request,
            object_type=self.model._meta.model_name,
            object_label=f"{self.model._meta.verbose_name_plural} (data administration)",
            details={
                "table": self.model._meta.model_name,
                "filters": filters_from_query(request.GET),
                "row_count": len(data),
            },
        )
        return data


class ExchangeFormatAdminMixin(RecordedExportMixin, ExportMixin):
    """Export buttons for an exchange format, and an import button that hands the file to the import engine: the
    data steward uploads a CSV or XLSX file, which becomes an import job (checked only, unless they untick it)
    run in the background with the same rules and messages as every other way in; its page shows the outcome."""

    import_export_change_list_template = "admin/reviews/change_list_import_export.html"
    import_kind: str = ""

    def get_export_formats(self):
        return [base_formats.CSV, base_formats.XLSX]

    def has_import_permission(self, request):
        return may_administer_data(request.user)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "has_import_permission": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        name = f"{self.model._meta.app_label}_{self.model._meta.model_name}_import"
        own = [path("import/", self.admin_site.admin_view(self.import_view), name=name)]
        return own + super().get_urls()

    def import_view(self, request):
        """The upload form; a valid upload becomes a job, and the data steward follows it on its page."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
        form = ImportUploadForm(data, files, kind=self.import_kind)
        if form.is_bound and form.is_valid():
            job, _ = form.save(by=request.user, via=ImportVia.DATA_ADMINISTRATION)
            if job is not None:
                return HttpResponseRedirect(job.get_absolute_url())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Import {self.model._meta.verbose_name_plural}",
            "form": form,
            "exchange_format": self.import_kind,
        }
        return TemplateResponse(request, "admin/reviews/import.html", context)


class CancellationDecisionInline(admin.StackedInline):
    model = CancellationDecision
    fk_name = "crime_record"
    extra = 0
    max_num = 1
    autocomplete_fields = ["receiving_force"]


@admin.register(CrimeRecord)
class CrimeRecordAdmin(admin.ModelAdmin):
    list_display = ["reference", "force", "offence_category", "offence_code", "recorded_on"]
    list_filter = ["offence_category", "force__region", "force"]
    list_select_related = ["force"]
    search_fields = ["reference", "offence_code"]
    autocomplete_fields = ["force"]
    date_hierarchy = "recorded_on"
    show_full_result_count = False
    inlines = [CancellationDecisionInline]


@admin.register(CancellationDecision)
class CancellationDecisionAdmin(ExchangeFormatAdminMixin, admin.ModelAdmin):
    resource_classes = [DecisionResource]
    import_kind = ImportKind.DECISIONS
    list_display = ["crime_record", "force", "category", "criterion", "outcome", "decided_on", "authoriser_role"]
    list_filter = ["criterion", "outcome", "authoriser_role", "crime_record__offence_category", "force"]
    list_select_related = ["crime_record__force", "force"]
    search_fields = ["crime_record__reference", "rationale"]
    autocomplete_fields = ["crime_record", "receiving_force"]
    date_hierarchy = "decided_on"
    show_full_result_count = False

    @admin.display(description="Offence category", ordering="crime_record__offence_category")
    def category(self, obj: CancellationDecision) -> str:
        return obj.crime_record.get_offence_category_display()


class AuditCategoryInline(admin.TabularInline):
    model = AuditCategory
    extra = 0


@admin.register(Audit)
class AuditAdmin(RecordedExportMixin, ExportMixin, LockedAuditMixin, admin.ModelAdmin):
    resource_classes = [AuditResultResource]

    def get_export_formats(self):
        return [base_formats.CSV, base_formats.XLSX]

    list_display = ["name", "force", "period_start", "period_end", "status", "recording_grade"]
    list_filter = ["status", "recording_grade", "force__region", "force"]
    list_select_related = ["force"]
    search_fields = ["name", "force__name", "force__code"]
    autocomplete_fields = ["force", "created_by", "signed_off_by"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AuditCategoryInline]

    def _audit_of(self, obj: Audit) -> Audit:
        return obj

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        # The seed would let someone run the draw again, as on the audit page (see `sees_draw`).
        return exclude if sees_draw(request.user) else [*exclude, "seed"]

    def get_export_queryset(self, request):
        # An audit's results count every auditor's verdicts: someone blind to others' work (an auditor given
        # staff access) exports the results of signed-off audits only, as the results pages show them.
        audits = super().get_export_queryset(request)
        return audits if sees_others_work(request.user) else audits.signed_off()


@admin.register(Review)
class ReviewAdmin(ExchangeFormatAdminMixin, LockedAuditMixin, admin.ModelAdmin):
    resource_classes = [ReviewResource]
    import_kind = ImportKind.REVIEWS
    list_display = ["decision", "audit", "kind", "auditor", "status", "decision_correct", "victim_informed"]
    list_filter = ["status", "kind", "decision_correct", "victim_informed", "audit__status", "audit__force"]
    list_select_related = ["decision__crime_record__force", "audit__force", "auditor"]
    search_fields = ["decision__crime_record__reference", "audit__name", "auditor__username", "notes"]
    autocomplete_fields = ["audit", "decision", "auditor"]
    readonly_fields = ["created_at", "updated_at", "submitted_at"]
    show_full_result_count = False

    def _audit_of(self, obj: Review) -> Audit:
        return obj.audit

    def get_queryset(self, request):
        # The list, the change page and the export: an auditor given staff access stays blind to others' work.
        return super().get_queryset(request).visible_to(request.user).blind_for(request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        review = self.get_object(request, object_id)
        if review is not None and review.audit.is_locked:
            self.message_user(request, AUDIT_LOCKED_MESSAGE, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Action)
class ActionAdmin(ReadOnlyAdmin):
    """Actions as evidence: readable here, changed only through the service's pages, never deleted."""

    list_display = ["decision", "audit", "kind", "status", "due_on", "outcome"]
    list_filter = ["kind", "status", "audit__force"]
    list_select_related = ["decision__crime_record__force", "audit__force"]
    search_fields = ["decision__crime_record__reference", "audit__name"]


@admin.register(PublishedResults)
class PublishedResultsAdmin(ReadOnlyAdmin):
    """Published versions are read here, never changed: a correction is a new version, published by a supervisor
    from the audit's page."""

    list_display = ["__str__", "force", "version", "published_at", "superseded_at", "sha256"]
    list_filter = ["force"]
    list_select_related = ["force"]
    search_fields = ["force__name", "audit__name", "sha256"]
    show_full_result_count = False
