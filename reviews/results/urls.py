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
]
