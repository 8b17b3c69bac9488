"""Quality assurance pages for supervisors: the second review share, known-answer items, the list of
disagreements between first and second reviews, and the page that settles one with a final verdict."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.generic import FormView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from reviews.models import Disagreement, Review, ReviewKind, ReviewStatus
from reviews.permissions import SupervisorMixin
from reviews.quality.filters import DisagreementFilter
from reviews.quality.forms import KnownAnswerForm, ResolutionForm, SecondReviewShareForm
from reviews.quality.selectors import disagreement_list, unresolved_disagreements
from reviews.quality.services import audit_set_second_review_share, disagreement_resolve, known_answer_add
from reviews.quality.tables import DisagreementTable
from reviews.web import AuditActionView, attempt
from reviews.workflow.selectors import history_of


class AuditSecondReviewsView(AuditActionView):
    template_name = "reviews/quality/audit_second_reviews.html"
    form_class = SecondReviewShareForm
    title = "Second reviews"

    def get_initial(self):
        return {"second_review_share": self.get_audit().second_review_share}

    def act(self, form):
        added = audit_set_second_review_share(
            audit=self.get_audit(), share=form.cleaned_data["second_review_share"], by=self.request.user
        )
        share = form.cleaned_data["second_review_share"]
        added_text = ngettext("%(count)d second review added.", "%(count)d second reviews added.", added)
        return f"The second review share is {share}%. " + added_text % {"count": added}


class AuditKnownAnswerView(AuditActionView):
    template_name = "reviews/quality/audit_known_answers.html"
    form_class = KnownAnswerForm
    title = "Add a known-answer item"

    def act(self, form):
        item = known_answer_add(
            audit=self.get_audit(),
            reference=form.cleaned_data["reference"],
            decision_correct=form.cleaned_data["decision_correct"],
            source=form.cleaned_data["source"],
            by=self.request.user,
        )
        return f"{item.decision.crime_record.reference} added as a known-answer item. Assign its review as usual."

    def get_context_data(self, **kwargs):
        items = self.get_audit().known_answers.select_related("decision__crime_record", "added_by").order_by("pk")
        return super().get_context_data(items=items, **kwargs)


class DisagreementListView(SupervisorMixin, SingleTableMixin, FilterView):
    """Disagreements between primary and second reviews in the audits the supervisor sees."""

    template_name = "reviews/quality/disagreement_list.html"
    table_class = DisagreementTable
    filterset_class = DisagreementFilter
    table_pagination = {"per_page": 25}

    def get_queryset(self):
        return disagreement_list(user=self.request.user)


class DisagreementResolveView(SupervisorMixin, FormView):
    """Both reviews side by side, and the form recording the final verdict with the reason for it."""

    template_name = "reviews/quality/disagreement_resolve.html"
    form_class = ResolutionForm

    def get_disagreement(self) -> Disagreement:
        if not hasattr(self, "_disagreement"):
            self._disagreement = get_object_or_404(disagreement_list(user=self.request.user), pk=self.kwargs["pk"])
        return self._disagreement

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        disagreement = self.get_disagreement()
        kwargs["review"] = disagreement.final_review or Review(
            audit=disagreement.audit,
            decision=disagreement.decision,
            kind=ReviewKind.FINAL,
            auditor=self.request.user,
            status=ReviewStatus.APPROVED,
        )
        kwargs["reason"] = disagreement.reason
        return kwargs

    def form_valid(self, form):
        disagreement = self.get_disagreement()
        _, refused = attempt(
            self,
            form,
            lambda: disagreement_resolve(
                disagreement=disagreement,
                by=self.request.user,
                answers=form.answers(),
                reason=form.cleaned_data["reason"],
            ),
            refused_url=disagreement.get_absolute_url(),
        )
        if refused:
            return refused
        messages.success(self.request, f"Final verdict on {disagreement.decision.crime_record.reference} recorded.")
        following = unresolved_disagreements(audit=disagreement.audit).first()
        if following is not None:
            return HttpResponseRedirect(following.get_absolute_url())
        return HttpResponseRedirect(disagreement.audit.get_absolute_url())

    def get_context_data(self, **kwargs):
        disagreement = self.get_disagreement()
        return super().get_context_data(
            disagreement=disagreement,
            decision=disagreement.decision,
            record=disagreement.decision.crime_record,
            first=disagreement.primary_review,
            second=disagreement.second_review,
            history=history_of(disagreement),
            list_url=reverse("disagreement_list") + f"?audit={disagreement.audit_id}",
            **kwargs,
        )
