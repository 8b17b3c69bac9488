from django.urls import path

from reviews.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.ImportUploadView.as_view(), name="upload"),
    path("<int:pk>/", views.ImportJobDetailView.as_view(), name="detail"),
    path("<int:pk>/status.json", views.ImportJobStatusView.as_view(), name="status"),
    path("<int:pk>/import/", views.ImportJobConfirmView.as_view(), name="confirm"),
    path("<int:pk>/cancel/", views.ImportJobCancelView.as_view(), name="cancel"),
    path("<int:pk>/errors.csv", views.ImportJobErrorsView.as_view(), name="errors"),
]
