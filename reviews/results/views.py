"""Pages of results: a force's results per audit, its printable report, the national comparison, and the open data
package of the published results.

Who sees what: supervisors, auditors and data stewards read every force's signed-off results and the national
comparison; only supervisors may include work in progress. A force contact reads their own force's results
(with the pooled national rate for comparison); the national comparison, which names every force, sends them
to their own force's page. Someone without a role reads nothing (the comparison answers 403), and any force or
audit outside what a user may read is a 404. The open data page and its files hold published figures only: anyone
with a role reads them, and anyone at all when `RESULTS_PUBLIC` says the results are public.
"""

import hashlib

from django.contrib import messages
from django.contrib.auth.mixins import AccessMixin, LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.generic import TemplateView, View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export import ExportMixin

from accounts.models import AccessAction
from accounts.services import access_record, filters_from_query
from forces.models import Force
from reviews.models import OffenceCategory
from reviews.permissions import (
    can_supervise,
    forces_visible_to,
    is_force_contact,
    may_compare_forces,
    may_include_work_in_progress,
    may_read_open_data,
)
from reviews.remedies.selectors import action_summaries, audit_actions, put_right_shares
from reviews.results.charts import interval_chart
from reviews.results.filters import NationalFilter
from reviews.results.forms import PublishForm
from reviews.results.opendata import latest_release, recent_releases, release_file, release_files, release_numbered
from reviews.results.published import (
    force_trend,
    national_rates_by_period,
    published_force_results,
    published_national_comparison,
    published_signature,
    published_version,
    thaw,
)
from reviews.results.publishing import audit_publish, publication_state
from reviews.results.selectors import Scope, force_results, national_comparison
from reviews.results.tables import EscapedTableExport, NationalTable
from reviews.web import AuditActionView


class ScopeMixin:
    """Reads "include work in progress" from the query string, for supervisors only."""

    in_progress_param = "in_progress"

    @cached_property
    def scope(self) -> Scope:
        wanted = self.request.GET.get(self.in_progress_param) == "1"
        return Scope(include_in_progress=wanted and may_include_work_in_progress(self.request.user))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["scope"] = self.scope
        context["may_include_work_in_progress"] = may_include_work_in_progress(self.request.user)
        context["scope_query"] = f"?{self.in_progress_param}=1" if self.scope.include_in_progress else ""
        return context


class ForceResultsView(LoginRequiredMixin, ScopeMixin, TemplateView):
    """A force's results for its latest counted audit, or for the audit in the URL."""

    template_name = "reviews/results/force_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        force = get_object_or_404(forces_visible_to(user), code=self.kwargs["code"])
        if is_force_contact(user):
            # A force reads what was published about it, never the live reviews.
            results = published_force_results(force=force, user=user, audit_id=self.kwargs.get("audit_id"))
        else:
            results = force_results(force=force, user=user, scope=self.scope, audit_id=self.kwargs.get("audit_id"))
        if results is None:
            raise Http404("No such audit of this force.")
        context.update(
            force=force,
            results=results,
            chart=category_chart(force, results),
            # Supervisors open any review's page; others read the reference only.
            link_reviews=can_supervise(user),
            trends=force_trend(force=force, user=user),
        )
        # Putting findings right: how each audit's actions stand, per kind (reviews.remedies).
        summaries = action_summaries(audits=results.audits, today=timezone.localdate())
        context["action_summaries"] = [(audit, summaries[audit.pk]) for audit in results.audits]
        return context


def category_chart(force, results):
    """The chart of a force's results (live or published) by category, against the national rate."""
    return interval_chart(
        title=f"Incorrect decisions by category: {force.name} against the national rate",
        items=[
            (figures.label, figures.incorrect_share, figures.compared_with_national, figures.national)
            for figures in results.categories
        ],
    )


class ForceReportView(ForceResultsView):
    """The same results laid out for printing (see the print styles in assets/scss)."""

    template_name = "reviews/results/force_report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The actions raised from this audit and how each stands (reviews.remedies).
        context["actions"] = audit_actions(audit=context["results"].audit)
        context["today"] = timezone.localdate()
        return context


class AuditPublishView(AuditActionView):
    """A supervisor publishes a signed-off audit's results, or a correction of them after a new sign-off."""

    template_name = "reviews/results/audit_publish.html"
    form_class = PublishForm
    title = "Publish the results"

    def act(self, form):
        version = audit_publish(
            audit=self.get_audit(), by=self.request.user, correction_note=form.cleaned_data["correction_note"]
        )
        self.published = version
        return f"Version {version.version} of the results is published."

    def get_success_url(self):
        return self.published.get_absolute_url()

    def get_context_data(self, **kwargs):
        current, publishable = publication_state(self.get_audit())
        return super().get_context_data(current=current, publishable=publishable, **kwargs)


class PublishedVersionMixin:
    """The published version named in the URL, if the user may read its force (404 otherwise)."""

    def get_version(self):
        force = get_object_or_404(forces_visible_to(self.request.user), code=self.kwargs["code"])
        version = published_version(
            force=force, audit_id=self.kwargs["audit_id"], version=self.kwargs["version"], user=self.request.user
        )
        if version is None:
            raise Http404("No such published version.")
        return version


class PublishedResultsView(LoginRequiredMixin, PublishedVersionMixin, TemplateView):
    """One published version of an audit's results, at its own address for as long as it is kept."""

    template_name = "reviews/results/published_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        version = self.get_version()
        results = thaw(version.figures)
        context.update(
            version=version,
            force=version.force,
            results=results,
            chart=category_chart(version.force, results),
            scope=Scope(),
            versions=version.audit.published_versions.order_by("version"),
            link_reviews=can_supervise(self.request.user),
        )
        return context


class PublishedResultsCsvView(LoginRequiredMixin, PublishedVersionMixin, View):
    """The canonical CSV of a published version, byte for byte the file whose SHA-256 the page shows."""

    def get(self, request, *args, **kwargs):
        version = self.get_version()
        response = HttpResponse(version.csv.encode("utf-8"), content_type="text/csv; charset=utf-8")
        filename = f"{version.force.code}-audit-{version.audit_id}-version-{version.version}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        access_record(
            user=request.user,
            action=AccessAction.EXPORTED,
            request=request,
            target=version,
            details={"table": "published results", "format": "csv", "sha256": version.sha256},
        )
        return response


# The national page's figures as drawn: kept for a day at most, under a key that changes with what they show.
FIGURES_TEMPLATE = "reviews/results/includes/national_figures.html"
FIGURES_SECONDS = 24 * 60 * 60
FIGURES_VERSION = 1  # raise it when the figures' template or their drawing changes


class NationalView(LoginRequiredMixin, ScopeMixin, ExportMixin, SingleTableMixin, FilterView):
    """All 43 forces side by side, filterable, sortable, and exported as CSV or XLSX with the same figures."""

    template_name = "reviews/results/national.html"
    filterset_class = NationalFilter
    table_class = NationalTable
    table_pagination = False
    export_class = EscapedTableExport
    export_formats = ("csv", "xlsx")
    cached_figures = None  # the figures' HTML when the cache holds them

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not may_compare_forces(user):
            forces = forces_visible_to(user)
            own = forces.first()
            if own is None:
                raise PermissionDenied
            messages.info(request, "The national comparison is for audit staff. These are your force's results.")
            return redirect("force_results", code=own.code)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return Force.objects.all()

    @cached_property
    def comparison(self):
        if self.scope.include_in_progress:
            comparison = national_comparison(
                forces=self.object_list,
                scope=self.scope,
                categories=self.filterset.chosen_categories,
                period=self.filterset.period_range,
            )
        else:
            # What is quoted outside the audit team is what was published, never the live reviews.
            comparison = published_national_comparison(
                forces=self.object_list,
                categories=self.filterset.chosen_categories,
                period=self.filterset.period_range,
            )
        shares = self.action_shares
        for row in comparison.rows:
            row.actions, row.actions_overdue = shares.get(row.force.pk, (None, 0))
        return comparison

    @cached_property
    def action_shares(self):
        """Putting findings right: the share of each listed force's actions put right (reviews.remedies)."""
        return put_right_shares(forces=self.object_list, today=timezone.localdate())

    def figures_key(self) -> str | None:
        """The cache key of the page's figures: it changes whenever a version is published or superseded, a
        listed force is renamed or moved, an action changes how its force stands, or the query differs, so every
        server process reads the same figures without being told of a change. None with work in progress,
        whose live figures are never kept."""
        if self.scope.include_in_progress:
            return None
        forces = list(self.object_list.order_by("pk").values_list("pk", "code", "name", "region"))
        shares = sorted((pk, share.count, share.total, overdue) for pk, (share, overdue) in self.action_shares.items())
        state = (FIGURES_VERSION, published_signature(), forces, shares, sorted(self.request.GET.lists()))
        return "national-figures:" + hashlib.sha256(repr(state).encode()).hexdigest()

    def get_table(self, **kwargs):
        return None if self.cached_figures else super().get_table(**kwargs)

    def get_table_data(self):
        return self.comparison.rows

    def get_table_kwargs(self):
        if self.cached_figures:
            return {}
        comparison = self.comparison
        return {"categories": comparison.categories, "basis": self.scope.label, "national": comparison.national}

    def get_export_filename(self, export_format):
        basis = "-including-work-in-progress" if self.scope.include_in_progress else ""
        return f"national-comparison{basis}-{timezone.localdate():%Y-%m-%d}.{export_format}"

    def render_to_response(self, context, **kwargs):
        export_format = self.request.GET.get(self.export_trigger_param)
        if export_format is not None and export_format not in self.export_formats:
            raise Http404("No such export format.")
        response = super().render_to_response(context, **kwargs)
        if self.exporting:
            # Written once the file is built, so a refused or failed export leaves no record of one.
            access_record(
                user=self.request.user,
                action=AccessAction.EXPORTED,
                request=self.request,
                object_type="national comparison",
                object_label="National comparison" + (f" ({self.scope.label})" if self.scope.label else ""),
                details={
                    "table": "national comparison",
                    "filters": filters_from_query(self.request.GET),
                    "row_count": len(self.comparison.rows),
                    "format": export_format,
                },
            )
        return response

    @property
    def exporting(self) -> bool:
        return self.request.GET.get(self.export_trigger_param) in self.export_formats

    def get_context_data(self, **kwargs):
        if self.exporting:
            return super().get_context_data(**kwargs)  # a file holds the table only, never the charts and rates
        # The figures change only with the published versions and the actions: drawn once, then read from the
        # cache (the table, its sorting and the charts are most of the page's time).
        key = self.figures_key()
        self.cached_figures = cache.get(key) if key else None
        context = super().get_context_data(**kwargs)
        if self.cached_figures is None:
            context["figures"] = render_to_string(FIGURES_TEMPLATE, self.figures_context(context), self.request)
            if key:
                cache.set(key, context["figures"], FIGURES_SECONDS)
        else:
            context["figures"] = self.cached_figures
        return context

    def figures_context(self, context):
        comparison = self.comparison
        context["comparison"] = comparison
        context["national"] = [
            (OffenceCategory(category), comparison.national[category]) for category in comparison.categories
        ]
        context["charts"] = [
            (
                category,
                interval_chart(
                    title=f"{OffenceCategory(category).label}: incorrect rate of each audited force",
                    items=[
                        (
                            row.force.name,
                            row.categories[category].incorrect_share,
                            row.categories[category].compared_with_national,
                            None,
                        )
                        for row in comparison.chart_rows(category)
                    ],
                    national=comparison.national[category],
                ),
            )
            for category in comparison.categories
        ]
        context["periods"] = national_rates_by_period(categories=comparison.categories)
        context["categories"] = [OffenceCategory(category) for category in comparison.categories]
        query = self.request.GET.copy()
        query.pop(self.export_trigger_param, None)
        context["export_links"] = [
            (export_format.upper(), f"?{_with(query, self.export_trigger_param, export_format)}")
            for export_format in self.export_formats
        ]
        return context


def _with(query, name, value) -> str:
    query = query.copy()
    query[name] = value
    return query.urlencode()


class OpenDataAccessMixin(AccessMixin):
    """The open data pages and files: anyone when the results are public (`RESULTS_PUBLIC`), otherwise anyone
    signed in with a role; someone signed out is sent to sign in, someone without a role refused."""

    def dispatch(self, request, *args, **kwargs):
        if not may_read_open_data(request.user):
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


class OpenDataView(OpenDataAccessMixin, TemplateView):
    """The open data package: the latest release's files (or release `number`'s) with their sizes and SHA-256,
    the publication it was built for, and the earlier releases."""

    template_name = "reviews/results/open_data.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        number = self.kwargs.get("number")
        release = latest_release() if number is None else release_numbered(number)
        if number is not None and release is None:
            raise Http404("No such release.")
        published = release.published if release else None
        context.update(
            release=release,
            files=release_files(release) if release else [],
            releases=recent_releases(),
            published=published,
            # The publication's own page, for those who may read it.
            link_published=bool(published)
            and forces_visible_to(self.request.user).filter(pk=published.force_id).exists(),
        )
        return context


class OpenDataFileView(OpenDataAccessMixin, View):
    """One file of a release, byte for byte the file whose size and SHA-256 the page lists."""

    def get(self, request, *args, **kwargs):
        stored = release_file(number=self.kwargs["number"], name=self.kwargs["name"])
        if stored is None:
            raise Http404("No such file in this release.")
        response = HttpResponse(bytes(stored.content), content_type=stored.media_type)
        response["Content-Disposition"] = f'attachment; filename="{stored.name}"'
        response["ETag"] = f'"{stored.sha256}"'
        if request.user.is_authenticated:
            access_record(
                user=request.user,
                action=AccessAction.EXPORTED,
                request=request,
                target=stored.release,
                details={"table": "open data", "file": stored.name, "sha256": stored.sha256},
            )
        return response
