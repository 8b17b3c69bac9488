from django.urls import path

from reviews import summary_views, views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
]

urlpatterns += [
    path("forces/<slug:code>/", summary_views.ForceResultsView.as_view(), name="force_results"),
    path(
        "forces/<slug:code>/audits/<int:audit_id>/",
        summary_views.ForceResultsView.as_view(),
        name="force_audit_results",
    ),
    path(
        "forces/<slug:code>/audits/<int:audit_id>/report/",
        summary_views.ForceReportView.as_view(),
        name="force_audit_report",
    ),
    path("national/", summary_views.NationalView.as_view(), name="national_comparison"),
]
