from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("access-records/", views.AccessRecordListView.as_view(), name="access_records"),
    # Where a one-time set-password link leads (issued from the user administration).
    path("set-password/<uidb64>/<token>/", views.ChoosePasswordView.as_view(), name="password_reset_confirm"),
    path(
        "set-password/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
