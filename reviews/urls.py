from django.urls import path

from reviews import quality_views, summary_views, views, workflow_views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    # Planning and oversight (supervisors).
    path("audits/new/", workflow_views.AuditPlanView.as_view(), name="audit_plan"),
    path("audits/<int:pk>/", workflow_views.AuditDetailView.as_view(), name="audit_detail"),
    path("audits/<int:pk>/extend/", workflow_views.AuditExtendView.as_view(), name="audit_extend"),
    path("audits/<int:pk>/assign/", workflow_views.AuditAssignView.as_view(), name="audit_assign"),
    path("audits/<int:pk>/approve/", workflow_views.AuditApproveView.as_view(), name="audit_approve"),
    path("audits/<int:pk>/sign-off/", workflow_views.AuditSignOffView.as_view(), name="audit_sign_off"),
    path("audits/<int:pk>/reopen/", workflow_views.AuditReopenView.as_view(), name="audit_reopen"),
    # Reviewing (auditors), returning and approving (supervisors).
    path("reviews/", workflow_views.ReviewQueueView.as_view(), name="review_queue"),
    path("reviews/<int:pk>/", workflow_views.ReviewDetailView.as_view(), name="review_detail"),
    path("reviews/<int:pk>/return/", workflow_views.ReviewReturnView.as_view(), name="review_return"),
    path("reviews/<int:pk>/approve/", workflow_views.ReviewApproveView.as_view(), name="review_approve"),
    # Results.
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
    # Files out, and the blank files to fill in.
    path("export/<slug:table>.<slug:file_format>", views.ExportView.as_view(), name="export"),
    path(
        "import-templates/<slug:table>.<slug:file_format>", views.ImportTemplateView.as_view(), name="import_template"
    ),
]

urlpatterns += [
    path(
        "audits/<int:pk>/second-reviews/",
        quality_views.AuditSecondReviewsView.as_view(),
        name="audit_second_reviews",
    ),
    path("audits/<int:pk>/known-answers/", quality_views.AuditKnownAnswerView.as_view(), name="audit_known_answers"),
    path("disagreements/", quality_views.DisagreementListView.as_view(), name="disagreement_list"),
    path("disagreements/<int:pk>/", quality_views.DisagreementResolveView.as_view(), name="disagreement_resolve"),
]
