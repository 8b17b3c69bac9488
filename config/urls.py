from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.forms import SignInForm

admin.autodiscover()
admin.site.site_header = "Cancellation Review: data administration"
admin.site.site_title = "Cancellation Review"
admin.site.index_title = "Forces, crime records, audits and users"

urlpatterns = [
    path(
        "sign-in/",
        auth_views.LoginView.as_view(authentication_form=SignInForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("reviews.urls")),
]
