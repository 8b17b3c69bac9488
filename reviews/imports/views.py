"""The data steward's import pages: upload a file (with the recent imports below), follow its job, import a file
whose check passed, cancel, and download every row error.

Only data stewards (`may_administer_data`) use them; anyone else is refused (403), and a job id that is not one of
`import_jobs_visible` is a 404.
"""

import csv

from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.generic import FormView, TemplateView, View
from django_tables2 import SingleTableMixin

from reviews.errors import ImportJobRefused
from reviews.exchange.cells import escape_formula
from reviews.imports.forms import ImportUploadForm
from reviews.imports.selectors import import_job_error_rows, import_job_status, import_jobs_visible
from reviews.imports.services import import_job_cancel, import_job_confirm
from reviews.imports.tables import ImportJobTable, outcome_words, state_tag
from reviews.models import ImportJob, ImportState
from reviews.permissions import DataStewardMixin


def job_started_message(job: ImportJob) -> str:
    action = "checked" if job.check_only else "imported"
    # Worded for any moment after the upload: a small file may be done before its page is first shown.
    return f"{job.file_name} was queued to be {action}. This page shows how far it has got."


class ImportUploadView(DataStewardMixin, SingleTableMixin, FormView):
    """`/imports/`: the upload form, and the recent imports (everyone's), newest first."""

    template_name = "imports/upload.html"
    form_class = ImportUploadForm
    table_class = ImportJobTable
    table_pagination = {"per_page": 20}

    def get_table_data(self):
        return import_jobs_visible(self.request.user)

    def get_initial(self):
        return {"check_only": True}

    def form_valid(self, form):
        job, created = form.save(by=self.request.user)
        if job is None:
            return self.form_invalid(form)
        if created:
            messages.success(self.request, job_started_message(job))
        else:
            messages.info(self.request, "This file was sent twice: it is checked or imported once, here.")
        return HttpResponseRedirect(job.get_absolute_url())


class ImportJobMixin(DataStewardMixin):
    def get_job(self) -> ImportJob:
        if not hasattr(self, "_job"):
            self._job = get_object_or_404(import_jobs_visible(self.request.user), pk=self.kwargs["pk"])
        return self._job


def duration_words(seconds: float | None) -> str:
    """ "2 minutes 5 seconds", "under a second"; empty when unknown."""
    if seconds is None:
        return ""
    seconds = round(seconds)
    if seconds < 1:
        return "under a second"
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    parts = [(hours, "hour"), (minutes, "minute"), (seconds, "second")]
    words = [f"{number} {unit}{'' if number == 1 else 's'}" for number, unit in parts if number]
    return " ".join(words[:2])


class ImportJobDetailView(ImportJobMixin, TemplateView):
    """`/imports/<id>/`: the job as `status.json` gives it, drawn on the server (the page's script only keeps the
    bar and figures moving, and reloads it when the job ends)."""

    template_name = "imports/detail.html"
    # The page reloads itself when the job ends: like the polls, that keeps no session alive, and on the embedded
    # database it never waits behind the running import to save one (`config.middleware.SessionMiddleware`).
    refreshes_session = False

    def get_context_data(self, **kwargs):
        job = self.get_job()
        status = import_job_status(job)
        total, done = status["rows_total"], status["rows_done"]
        return super().get_context_data(
            job=job,
            status=status,
            state_tag=state_tag(status["state"], error_count=status["error_count"]),
            percent=min(100, round(100 * done / total)) if total else None,
            elapsed=duration_words(status["elapsed_seconds"]),
            estimate=duration_words(status["estimate_seconds_left"]),
            outcome=outcome_words(
                state=status["state"],
                check_only=status["check_only"],
                rows_total=total,
                counts=status["counts"],
                error_count=status["error_count"],
                message=status["message"],
            ),
            more_errors=status["error_count"] - len(status["errors"]),
            **kwargs,
        )


class ImportJobStatusView(ImportJobMixin, View):
    """`/imports/<id>/status.json`: what the progress script polls. Polling does not keep the session alive (see
    `config.middleware.SessionMiddleware`)."""

    refreshes_session = False

    def get(self, request, *args, **kwargs):
        return JsonResponse(import_job_status(self.get_job()))


class _Echo:
    def write(self, value):
        return value


class ImportJobErrorsView(ImportJobMixin, View):
    """`/imports/<id>/errors.csv`: every row error, streamed; cells a spreadsheet would run are escaped."""

    def get(self, request, *args, **kwargs):
        job = self.get_job()
        writer = csv.writer(_Echo(), lineterminator="\r\n")
        rows = (writer.writerow([escape_formula(str(cell)) for cell in row]) for row in import_job_error_rows(job))
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        return response


class ImportJobStepView(ImportJobMixin, View):
    """A button on the job's page. A refusal (the check did not pass, the job has finished, the same button
    pressed twice) is a message on the job's page: nothing was changed."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        job = self.get_job()
        try:
            response = self.act(job)
        except ImportJobRefused as error:
            for message in error.messages:
                unchanged = "nothing was changed" in message.lower()
                messages.error(request, message if unchanged else f"{message} Nothing was changed.")
            return HttpResponseRedirect(job.get_absolute_url())
        return response


class ImportJobConfirmView(ImportJobStepView):
    """`/imports/<id>/import/`: Import now, after a check that passed."""

    def act(self, job):
        new_job = import_job_confirm(job=job, by=self.request.user)
        messages.success(self.request, job_started_message(new_job))
        return HttpResponseRedirect(new_job.get_absolute_url())


class ImportJobCancelView(ImportJobStepView):
    """`/imports/<id>/cancel/`: stop a job; a running one undoes everything it did."""

    def act(self, job):
        running = job.state == ImportState.RUNNING
        import_job_cancel(job=job, by=self.request.user)
        if running:
            messages.success(
                self.request,
                "The job is asked to stop. Unless it has already saved the file, it undoes what it did and shows as "
                "cancelled.",
            )
        else:
            messages.success(self.request, "The job is cancelled: nothing was saved.")
        return HttpResponseRedirect(job.get_absolute_url())
