from django.urls import path

from reviews.exchange import views

urlpatterns = [
    # Files out, and the blank files to fill in.
    path("export/<slug:table>.<slug:file_format>", views.ExportView.as_view(), name="export"),
    path(
        "import-templates/<slug:table>.<slug:file_format>", views.ImportTemplateView.as_view(), name="import_template"
    ),
]
