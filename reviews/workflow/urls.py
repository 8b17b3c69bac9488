from django.urls import path

from reviews.workflow import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    # Planning and oversight (supervisors).
    path("audits/new/", views.AuditPlanView.as_view(), name="audit_plan"),
    path("audits/<int:pk>/", views.AuditDetailView.as_view(), name="audit_detail"),
    path("audits/<int:pk>/extend/", views.AuditExtendView.as_view(), name="audit_extend"),
    path("audits/<int:pk>/assign/", views.AuditAssignView.as_view(), name="audit_assign"),
    path("audits/<int:pk>/approve/", views.AuditApproveView.as_view(), name="audit_approve"),
    path("audits/<int:pk>/sign-off/", views.AuditSignOffView.as_view(), name="audit_sign_off"),
    path("audits/<int:pk>/reopen/", views.AuditReopenView.as_view(), name="audit_reopen"),
    # Reviewing (auditors), returning and approving (supervisors).
    path("reviews/", views.ReviewQueueView.as_view(), name="review_queue"),
    path("reviews/<int:pk>/", views.ReviewDetailView.as_view(), name="review_detail"),
    path("reviews/<int:pk>/return/", views.ReviewReturnView.as_view(), name="review_return"),
    path("reviews/<int:pk>/approve/", views.ReviewApproveView.as_view(), name="review_approve"),
]
