"""Pages about actions: the list a person may see (filtered, sorted, paginated, downloadable), one action with
its history, the force contact's outcome form, and the supervisor's acceptance or return.

Who sees what: audit staff see the actions of the audits they see, a force contact their own force's; any
other action is a 404. Only the force's contact records an outcome, and only a supervisor who did not record it
accepts or returns it; anyone else who may see the action gets 403.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import FormView, TemplateView, View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export import ExportMixin

from accounts.models import AccessAction
from accounts.services import access_record, filters_from_query
from reviews.models import Action
from reviews.permissions import acts_for_force, may_record_outcome, may_settle_outcome, sees_actions, settles_for
from reviews.remedies.exports import EscapedActionExport
from reviews.remedies.filters import ActionFilter
from reviews.remedies.forms import ActionReturnForm, OutcomeForm
from reviews.remedies.selectors import action_list
from reviews.remedies.services import action_accept, action_record_outcome, action_return
from reviews.remedies.tables import ActionTable
from reviews.web import attempt, show_refusal
from reviews.workflow.selectors import history_of


class ActionsMixin(LoginRequiredMixin, UserPassesTestMixin):
    def test_func(self) -> bool:
        return sees_actions(self.request.user)


class ActionListView(ActionsMixin, ExportMixin, SingleTableMixin, FilterView):
    template_name = "reviews/remedies/action_list.html"
    filterset_class = ActionFilter
    table_class = ActionTable
    table_pagination = {"per_page": 25}
    export_class = EscapedActionExport
    export_formats = ("csv", "xlsx")

    def get_queryset(self):
        return action_list(user=self.request.user)

    def get_export_filename(self, export_format):
        return f"actions-{timezone.localdate():%Y-%m-%d}.{export_format}"

    @property
    def exporting(self) -> bool:
        return self.request.GET.get(self.export_trigger_param) in self.export_formats

    def render_to_response(self, context, **kwargs):
        export_format = self.request.GET.get(self.export_trigger_param)
        if export_format is not None and export_format not in self.export_formats:
            raise Http404("No such export format.")
        response = super().render_to_response(context, **kwargs)
        table = context["table"]
        # Written once the page or file is built, so a refused or failed one leaves no record.
        access_record(
            user=self.request.user,
            action=AccessAction.EXPORTED if self.exporting else AccessAction.VIEWED,
            request=self.request,
            object_type="actions",
            object_label="Actions",
            details={
                "table": "actions",
                "filters": filters_from_query(self.request.GET),
                "row_count": len(table.rows) if self.exporting else table.paginator.count,
                **({"format": export_format} if self.exporting else {}),
            },
        )
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop(self.export_trigger_param, None)
        query.pop("page", None)
        links = []
        for export_format in self.export_formats:
            query[self.export_trigger_param] = export_format
            links.append((export_format.upper(), f"?{query.urlencode()}"))
        context["export_links"] = links
        return context


class ActionObjectMixin(ActionsMixin):
    def get_action(self) -> Action:
        if not hasattr(self, "_action"):
            actions = action_list(user=self.request.user).select_related("outcome_by", "accepted_by")
            self._action = get_object_or_404(actions, pk=self.kwargs["pk"])
        return self._action


class ActionDetailView(ActionObjectMixin, TemplateView):
    """One action: the finding, the outcome and its evidence, what the person may do next, and the history."""

    template_name = "reviews/remedies/action_detail.html"

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        access_record(user=request.user, action=AccessAction.VIEWED, request=request, target=self.get_action())
        return response

    def get_context_data(self, **kwargs):
        action, user = self.get_action(), self.request.user
        return super().get_context_data(
            action=action,
            overdue=action.is_overdue(timezone.localdate()),
            may_record=may_record_outcome(user, action),
            may_settle=may_settle_outcome(user, action),
            history=history_of(action),
            **kwargs,
        )


class ActionStepMixin(ActionObjectMixin):
    """One step of an action: taken only by whom `takes_step` allows (anyone else is refused), and only while the
    action `awaits` it. A step already taken (a double submit, a second tab, another supervisor first) is told
    so, and nothing changes."""

    takes_step: Callable
    awaits: str
    refusal: str

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and sees_actions(request.user):
            action = self.get_action()
            if not self.takes_step(request.user, action):
                raise PermissionDenied(self.refusal)
            if not getattr(action, self.awaits):
                messages.info(request, f"This action is {action.get_status_display().lower()}: nothing was changed.")
                return HttpResponseRedirect(action.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)


class ActionOutcomeView(ActionStepMixin, FormView):
    """The force contact records what was done."""

    template_name = "reviews/remedies/action_outcome.html"
    form_class = OutcomeForm
    takes_step = staticmethod(acts_for_force)
    awaits = "awaits_force"
    refusal = "Only the force's contact records an outcome."

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        action = self.get_action()
        kwargs["kind"] = action.kind
        if action.outcome:
            kwargs["initial"] = {
                "outcome": action.outcome,
                "details": action.outcome_details,
                "victim_told_on": action.victim_told_on,
            }
        return kwargs

    def form_valid(self, form):
        action = self.get_action()
        data = form.cleaned_data
        _, refused = attempt(
            self,
            form,
            lambda: action_record_outcome(
                action=action,
                outcome=data["outcome"],
                details=data.get("details", ""),
                victim_told_on=data.get("victim_told_on"),
                by=self.request.user,
            ),
            refused_url=action.get_absolute_url(),
        )
        if refused:
            return refused
        messages.success(self.request, "Outcome recorded. A supervisor will accept it or return it to you.")
        return HttpResponseRedirect(action.get_absolute_url())

    def get_context_data(self, **kwargs):
        return super().get_context_data(action=self.get_action(), **kwargs)


class SupervisorActionMixin(ActionStepMixin):
    takes_step = staticmethod(settles_for)
    awaits = "awaits_supervisor"
    refusal = "Only a supervisor who did not record the outcome may accept or return it."


class ActionAcceptView(SupervisorActionMixin, View):
    """Accept the recorded outcome (a button on the action's page): the action is put right."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        action = self.get_action()
        try:
            action_accept(action=action, by=request.user)
        except ValidationError as error:
            show_refusal(request, error)
        else:
            messages.success(request, f"Outcome accepted: {action} is put right.")
        return HttpResponseRedirect(action.get_absolute_url())


class ActionReturnView(SupervisorActionMixin, FormView):
    template_name = "reviews/remedies/action_return.html"
    form_class = ActionReturnForm

    def form_valid(self, form):
        action = self.get_action()
        _, refused = attempt(
            self,
            form,
            lambda: action_return(action=action, by=self.request.user, comment=form.cleaned_data["text"]),
            refused_url=action.get_absolute_url(),
        )
        if refused:
            return refused
        messages.success(self.request, f"Outcome returned to {action.audit.force.name}.")
        return HttpResponseRedirect(action.get_absolute_url())

    def get_context_data(self, **kwargs):
        return super().get_context_data(action=self.get_action(), **kwargs)
