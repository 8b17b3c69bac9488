from django.urls import path

from reviews.results import views

urlpatterns = [
    path("forces/<slug:code>/", views.ForceResultsView.as_view(), name="force_results"),
    path("forces/<slug:code>/audits/<int:audit_id>/", views.ForceResultsView.as_view(), name="force_audit_results"),
    path(
        "forces/<slug:code>/audits/<int:audit_id>/report/",
        views.ForceReportView.as_view(),
        name="force_audit_report",
    ),
    path(
        "forces/<slug:code>/audits/<int:audit_id>/published/<int:version>/",
        views.PublishedResultsView.as_view(),
        name="published_results",
    ),
    path(
        "forces/<slug:code>/audits/<int:audit_id>/published/<int:version>/csv/",
        views.PublishedResultsCsvView.as_view(),
        name="published_results_csv",
    ),
    path("audits/<int:pk>/publish/", views.AuditPublishView.as_view(), name="audit_publish"),
    path("national/", views.NationalView.as_view(), name="national_comparison"),
    path("open-data/", views.OpenDataView.as_view(), name="open_data"),
    path("open-data/releases/<int:number>/", views.OpenDataView.as_view(), name="open_data_release"),
    path("open-data/releases/<int:number>/<str:name>", views.OpenDataFileView.as_view(), name="open_data_file"),
]
