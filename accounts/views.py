from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.contrib.auth.views import PasswordResetConfirmView
from django.shortcuts import render
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from accounts.filters import AccessRecordFilter
from accounts.forms import ChoosePasswordForm, SignInForm
from accounts.permissions import may_read_access_records
from accounts.selectors import access_record_list
from accounts.tables import AccessRecordTable

LOCKOUT_STATUS = 429  # Too Many Requests: what the lockout is, for monitoring; people see the page.


def lockout_minutes() -> int:
    return max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def locked_out(request, original_response=None, credentials=None):
    """The sign-in page, saying why this sign-in was refused (django-axes calls this on a lockout).

    The form is blank and unbound: a locked-out pair gets no hint about the password it tried.
    """
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "form": SignInForm(request, initial={"username": username}),
        "next": request.POST.get("next", ""),
        "lockout_minutes": lockout_minutes(),
    }
    return render(request, "registration/login.html", context, status=LOCKOUT_STATUS)


class AccessRecordListView(LoginRequiredMixin, UserPassesTestMixin, SingleTableMixin, FilterView):
    """Who viewed, exported or imported what, and who signed in and out: for supervisors and data stewards."""

    filterset_class = AccessRecordFilter
    table_class = AccessRecordTable
    template_name = "accounts/access_records.html"
    table_pagination = {"per_page": 50}

    def test_func(self) -> bool:
        return may_read_access_records(self.request.user)

    def get_queryset(self):
        return access_record_list()


class ChoosePasswordView(PasswordResetConfirmView):
    """The page a set-password link opens: the person chooses their password, and the link stops working."""

    form_class = ChoosePasswordForm

    def get_form_kwargs(self):
        # Someone signed in who follows another person's link is the one who set that person's password.
        signed_in = self.request.user if self.request.user.is_authenticated else None
        return {**super().get_form_kwargs(), "by": signed_in}
