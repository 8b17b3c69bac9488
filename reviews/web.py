"""What every view of the application shares: the navigation and the permissions templates ask, and turning
a service's refusal into a message or a form error."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import FormView

from accounts.permissions import may_read_access_records
from reviews import permissions
from reviews.errors import AuditLockedError, StaleReviewError
from reviews.models import Audit
from reviews.permissions import SupervisorMixin


def show_refusal(request, error: ValidationError) -> None:
    """Tell the user why a service refused, in its own words."""
    for message in error.messages:
        messages.error(request, message)


def add_refusal(form, error: ValidationError) -> None:
    """Put a service's refusal on the form: field messages beside their fields, the rest at the top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def attempt(view, form, action, *, refused_url: str):
    """Run the service call `action()`. Returns (its result, None), or (None, the response to give) when it
    is refused: a refusal of the whole request (a signed-off audit, a stale copy of a review) is a message
    and a redirect to `refused_url`; a problem with what was typed goes back on the form."""
    try:
        return action(), None
    except (AuditLockedError, StaleReviewError) as error:
        show_refusal(view.request, error)
        return None, HttpResponseRedirect(refused_url)
    except ValidationError as error:
        add_refusal(form, error)
    except IntegrityError:
        # The model's checks mirror the database's, so this is a last line of defence, not a path users meet.
        form.add_error(None, "The answers break a rule of the service; check them and try again.")
    return None, view.form_invalid(form)


class AuditObjectMixin:
    """The audit named in the URL, from the audits the user may see (404 for any other)."""

    def get_audit(self) -> Audit:
        if not hasattr(self, "_audit"):
            self._audit = get_object_or_404(
                Audit.objects.visible_to(self.request.user).select_related("force", "created_by", "signed_off_by"),
                pk=self.kwargs["pk"],
            )
        return self._audit


class AuditActionView(SupervisorMixin, AuditObjectMixin, FormView):
    """A supervisor's form about one audit; `act(form)` calls the service and returns the success message."""

    title = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(audit=self.get_audit(), title=self.title, **kwargs)

    def form_valid(self, form):
        message, refused = attempt(self, form, lambda: self.act(form), refused_url=self.get_audit().get_absolute_url())
        if refused:
            return refused
        if message:
            messages.success(self.request, message)
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self):
        return self.get_audit().get_absolute_url()


def navigation(request) -> dict:
    """Context for every page: `may` (what the signed-in person may do, see `permissions.allowed`) and the
    service navigation items for their roles, with the current one marked."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": [], "may": {}}
    may = permissions.allowed(user)
    items = [("Home", reverse("home"))]
    if may["review"]:
        items.append(("My reviews", reverse("review_queue")))
    if may["supervise"]:
        items.append(("Plan an audit", reverse("audit_plan")))
        items.append(("Disagreements", reverse("disagreement_list")))
    if may["compare_forces"]:
        items.append(("National comparison", reverse("national_comparison")))
    elif may["force_contact_only"]:
        items.append(("Your force's results", reverse("force_results", args=[user.force.code])))
    if may["see_actions"]:
        items.append(("Actions", reverse("action_list")))
    if may["read_open_data"]:
        items.append(("Open data", reverse("open_data")))
    if may["administer_data"]:
        items.append(("Imports", reverse("imports:upload")))
    if may_read_access_records(user):
        items.append(("Access records", reverse("access_records")))
    if user.is_staff:
        items.append(("Data administration", reverse("admin:index")))
    path = request.path
    return {
        "may": may,
        "navigation": [
            {"text": text, "href": href, "current": path == href or (href != "/" and path.startswith(href))}
            for text, href in items
        ],
    }
