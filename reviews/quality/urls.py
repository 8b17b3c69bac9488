from django.urls import path

from reviews.quality import views

urlpatterns = [
    path("audits/<int:pk>/second-reviews/", views.AuditSecondReviewsView.as_view(), name="audit_second_reviews"),
    path("audits/<int:pk>/known-answers/", views.AuditKnownAnswerView.as_view(), name="audit_known_answers"),
    path("disagreements/", views.DisagreementListView.as_view(), name="disagreement_list"),
    path("disagreements/<int:pk>/", views.DisagreementResolveView.as_view(), name="disagreement_resolve"),
]
