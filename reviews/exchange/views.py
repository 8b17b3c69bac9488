"""The downloads and the blank files to fill in."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from accounts.models import AccessAction
from accounts.services import access_record, filters_from_query
from reviews.exchange.exports import CSV_CONTENT_TYPE, EXPORTS, XLSX_CONTENT_TYPE, csv_chunks, xlsx_file
from reviews.exchange.reading import DECISION_FILE, REVIEW_FILE


class ExportView(LoginRequiredMixin, View):
    """`/export/<table>.<csv|xlsx>`: decisions, reviews or audit results, filtered by the query string
    (`?audit=ID`, `?force=code`, and for decisions `?offence_category=`, `?criterion=`, `?decided_from=`,
    `?decided_to=`). Only the rows the user may see; an audit they may not see is a 404."""

    def get(self, request, table: str, file_format: str):
        export = EXPORTS.get(table)
        if export is None or file_format not in ("csv", "xlsx"):
            raise Http404
        if not export.allowed(request.user):
            raise PermissionDenied
        filterset = export.filterset(request.GET, queryset=export.queryset(request.user), request=request)
        if not filterset.is_valid():
            if "audit" in filterset.errors:
                raise Http404
            messages = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items())
            return render(request, "reviews/exchange/export_error.html", {"error_message": messages}, status=400)
        # Recorded before the file is sent, so an interrupted download is on record too.
        access_record(
            user=request.user,
            action=AccessAction.EXPORTED,
            request=request,
            object_type=export.name,
            object_label=f"{export.name}.{file_format}",
            details={
                "table": export.name,
                "format": file_format,
                "filters": filters_from_query(request.GET),
                "row_count": filterset.qs.count(),
            },
        )
        rows = export.rows(filterset.qs, request.user)
        filename = f"{export.name}-{timezone.localdate():%Y-%m-%d}.{file_format}"
        if file_format == "csv":
            response = StreamingHttpResponse(csv_chunks(export.columns, rows), content_type=CSV_CONTENT_TYPE)
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        return FileResponse(
            xlsx_file(export.columns, rows, title=export.name),
            as_attachment=True,
            filename=filename,
            content_type=XLSX_CONTENT_TYPE,
        )


class ImportTemplateView(LoginRequiredMixin, View):
    """`/import-templates/<decisions|reviews>.<csv|xlsx>`: a blank file with the format's header row."""

    def get(self, request, table: str, file_format: str):
        spec = {"decisions": DECISION_FILE, "reviews": REVIEW_FILE}.get(table)
        if spec is None or file_format not in ("csv", "xlsx"):
            raise Http404
        filename = f"{spec.name}-template.{file_format}"
        if file_format == "csv":
            response = HttpResponse("".join(csv_chunks(spec.columns, [])), content_type=CSV_CONTENT_TYPE)
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        return FileResponse(
            xlsx_file(spec.columns, [], title=spec.name),
            as_attachment=True,
            filename=filename,
            content_type=XLSX_CONTENT_TYPE,
        )
