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
    path("national/", views.NationalView.as_view(), name="national_comparison"),
]
