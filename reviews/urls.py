from django.urls import path

from reviews import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("export/<slug:table>.<slug:file_format>", views.ExportView.as_view(), name="export"),
    path(
        "import-templates/<slug:table>.<slug:file_format>", views.ImportTemplateView.as_view(), name="import_template"
    ),
]
