"""The audit workflow's pages: planning, the audit, assignment, the auditor's queue and review page, and
the supervisor's return, approval, sign-off and reopening. Views parse the request, call one service and
render; every id in a URL is looked up through a queryset scoped to the signed-in user."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.generic import FormView, TemplateView, View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin, SingleTableView

from accounts.models import AccessAction
from accounts.roles import Role
from accounts.services import access_record
from reviews.errors import AUDIT_LOCKED_MESSAGE
from reviews.models import Review, ReviewKind, ReviewStatus
from reviews.permissions import (
    AuditorMixin,
    RoleRequiredMixin,
    SupervisorMixin,
    can_supervise,
    is_audit_staff,
    may_answer,
    sees_draw,
)
from reviews.quality.selectors import audit_quality, disagreement_of, unresolved_disagreements
from reviews.web import AuditActionView, AuditObjectMixin, add_refusal, attempt, show_refusal
from reviews.workflow.filters import ReviewQueueFilter
from reviews.workflow.forms import (
    AssignEvenlyForm,
    AuditPlanForm,
    ExtendSampleForm,
    ReopenReasonForm,
    ReturnCommentForm,
    ReviewForm,
)
from reviews.workflow.planning import (
    DEFAULT_MARGIN,
    DEFAULT_TOLERABLE_RATE,
    audit_draw_sample,
    audit_plan,
    plan_precision,
    sample_total,
)
from reviews.workflow.sampling import margins_of_error
from reviews.workflow.selectors import (
    audit_list,
    audit_progress_by_auditor,
    audit_review_counts,
    auditors,
    history_of,
    next_unfinished_review,
    review_progress,
    review_queue,
    reviews_for_page,
)
from reviews.workflow.services import (
    audit_approve_submitted,
    audit_assign_evenly,
    audit_reassign,
    audit_reopen,
    audit_sign_off,
    review_approve,
    review_return,
    review_save,
)
from reviews.workflow.tables import AuditReviewTable, AuditTable, ReviewQueueTable


class AuditPlanView(SupervisorMixin, FormView):
    """Plan an audit and draw its sample. "Show margins of error" re-displays the form with the helper
    worked out for the size entered, without saving."""

    template_name = "reviews/workflow/audit_plan.html"
    form_class = AuditPlanForm

    def form_valid(self, form):
        data = form.cleaned_data
        if self.request.POST.get("action") == "margins":
            return self.render_to_response(self.get_context_data(form=form))
        try:
            audit, _ = audit_plan(
                force=data["force"],
                name=data["name"].strip(),
                period_start=data["period_start"],
                period_end=data["period_end"],
                categories=data["sizes"],
                seed=data["seed"],
                by=self.request.user,
                second_review_share=data.get("second_review_share") or 0,
            )
        except ValidationError as error:
            add_refusal(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{audit.name} is planned and its sample drawn.")
        return HttpResponseRedirect(audit.get_absolute_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        size = form.sample_size() if form.is_bound and not form.errors else 20
        context.update(margin_size=size, margins=margins_of_error(size))
        if form.is_bound and not form.errors:
            data = form.cleaned_data
            context["precision"] = plan_precision(
                force=data["force"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                sizes=data["sizes"],
                margin=(data.get("margin") or DEFAULT_MARGIN) / 100,
                tolerable_rate=(data.get("tolerable_rate") or DEFAULT_TOLERABLE_RATE) / 100,
            )
        return context


class AuditDetailView(RoleRequiredMixin, AuditObjectMixin, SingleTableMixin, TemplateView):
    """An audit: how its sample was drawn (seed, population and checksum per category, for those who may see
    it), progress per auditor, and for supervisors every review and the actions open to them."""

    roles = frozenset(Role.values)
    template_name = "reviews/workflow/audit_detail.html"
    table_class = AuditReviewTable
    table_pagination = {"per_page": 50}

    def get_table_data(self):
        return (
            Review.objects.for_audit(self.get_audit())
            .filter(kind__in=ReviewKind.blind_pair())
            .select_related("decision__crime_record", "auditor")
            .annotate(position=Coalesce("sample_position", "primary_review__sample_position"))
            .order_by("decision__crime_record__offence_category", "position", "decision_id", "kind", "pk")
        )

    def get_context_data(self, **kwargs):
        audit = self.get_audit()
        user = self.request.user
        is_supervisor = can_supervise(user)
        audit_staff = is_audit_staff(user)
        # Only supervisors see the list of reviews: skip building the table (and its queries) for others.
        context = super().get_context_data(**kwargs) if is_supervisor else TemplateView.get_context_data(self, **kwargs)
        counts = audit_review_counts(audit=audit)
        context.update(
            audit=audit,
            categories=audit.categories.all(),
            counts=counts,
            # A force's own registrar team sees its results, not who in the inspectorate did what.
            progress=audit_progress_by_auditor(audit=audit) if audit_staff else [],
            is_supervisor=is_supervisor,
            audit_staff=audit_staff,
            sees_draw=sees_draw(user),
            can_sign_off=not audit.is_locked and counts["total"] > 0 and counts["approved"] == counts["total"],
            history=history_of(audit) if is_supervisor else [],
            quality=audit_quality(audit=audit) if is_supervisor else None,
        )
        return context


class AuditExtendView(AuditActionView):
    template_name = "reviews/workflow/audit_extend.html"
    form_class = ExtendSampleForm
    title = "Extend the sample"

    def get_initial(self):
        return {"sample_total": sample_total(self.get_audit())}

    def act(self, form):
        draws = audit_draw_sample(
            audit=self.get_audit(),
            extra_per_category=form.cleaned_data["extra_per_category"],
            expected_sample_total=form.cleaned_data["sample_total"],
            by=self.request.user,
        )
        added = sum(draw.added for draw in draws)
        if not added:
            return "Nothing was added: the sample has already been extended, or every category is taken whole."
        return ngettext(
            "%(count)d decision added to the sample.", "%(count)d decisions added to the sample.", added
        ) % {"count": added}


class AuditAssignView(AuditActionView):
    """Assign reviews: share the unassigned ones evenly, or choose an auditor for each one."""

    template_name = "reviews/workflow/audit_assign.html"
    form_class = AssignEvenlyForm
    title = "Assign reviews"
    per_page = 50

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["auditor_queryset"] = auditors()
        return kwargs

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "one_by_one":
            return self._assign_one_by_one(request)
        return super().post(request, *args, **kwargs)

    def act(self, form):
        count = audit_assign_evenly(
            audit=self.get_audit(), auditors=list(form.cleaned_data["auditors"]), by=self.request.user
        )
        if not count:
            return "Every review already has an auditor."
        return ngettext("%(count)d review assigned.", "%(count)d reviews assigned.", count) % {"count": count}

    def _assign_one_by_one(self, request):
        people = {str(user.pk): user for user in auditors()}
        posted = {
            int(key): value
            for key, value in ((name.removeprefix("review-"), value) for name, value in request.POST.items())
            if key.isdigit()
        }
        if any(value and value not in people for value in posted.values()):
            messages.error(request, "Choose an auditor from the list.")
            return HttpResponseRedirect(request.get_full_path())
        assignments = {pk: people.get(value) for pk, value in posted.items()}
        try:
            changed = audit_reassign(audit=self.get_audit(), assignments=assignments, by=request.user)
        except ValidationError as error:
            show_refusal(request, error)
            messages.error(request, "No review was reassigned.")
        else:
            if changed:
                message = ngettext("%(count)d review reassigned.", "%(count)d reviews reassigned.", changed)
                messages.success(request, message % {"count": changed})
        return HttpResponseRedirect(request.get_full_path())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Second reviews are listed after their primary review, so that each can go to someone else.
        reviews = (
            Review.objects.for_audit(self.get_audit())
            .filter(kind__in=ReviewKind.blind_pair())
            .select_related("decision__crime_record", "auditor")
            .annotate(position=Coalesce("sample_position", "primary_review__sample_position"))
            .order_by("decision__crime_record__offence_category", "position", "decision_id", "kind", "pk")
        )
        page = Paginator(reviews, self.per_page).get_page(self.request.GET.get("page"))
        context.update(
            page=page,
            auditor_choices=list(auditors()),
            counts=audit_review_counts(audit=self.get_audit()),
        )
        return context


class AuditApproveView(AuditActionView):
    template_name = "reviews/workflow/audit_confirm.html"
    form_class = forms.Form  # nothing to fill in: the confirmation is the button
    title = "Approve every submitted review"

    def act(self, form):
        count = audit_approve_submitted(audit=self.get_audit(), by=self.request.user)
        if not count:
            return "No review was waiting."
        return ngettext("%(count)d review approved.", "%(count)d reviews approved.", count) % {"count": count}

    def get_context_data(self, **kwargs):
        counts = audit_review_counts(audit=self.get_audit())
        return super().get_context_data(
            counts=counts,
            explanation=ngettext(
                "%(count)d submitted review will be approved. Approved reviews count in the audit's results.",
                "%(count)d submitted reviews will be approved. Approved reviews count in the audit's results.",
                counts["submitted"],
            )
            % {"count": counts["submitted"]},
            button="Approve submitted reviews",
            **kwargs,
        )


class AuditSignOffView(AuditActionView):
    template_name = "reviews/workflow/audit_sign_off.html"
    form_class = forms.Form
    title = "Sign the audit off"

    def act(self, form):
        audit = audit_sign_off(audit=self.get_audit(), by=self.request.user)
        if audit.signed_off_by_id != self.request.user.pk:
            # Someone else signed it off first (perhaps a moment ago, from another page): say so, not "done".
            when = timezone.localtime(audit.signed_off_at)
            return (
                f"{audit.signed_off_by} had already signed this audit off, at {when:%H:%M} on {when:%-d %B %Y}. "
                "Nothing was changed."
            )
        return "The audit is signed off. Its reviews can no longer be changed."

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            explanation="Signing off locks the audit: no one can change its reviews unless a supervisor reopens "
            "it, giving a reason.",
            button="Sign off",
            unresolved=unresolved_disagreements(audit=self.get_audit()),
            **kwargs,
        )


class AuditReopenView(AuditActionView):
    template_name = "reviews/workflow/audit_reason.html"
    form_class = ReopenReasonForm
    title = "Reopen the audit"

    def act(self, form):
        audit_reopen(audit=self.get_audit(), by=self.request.user, reason=form.cleaned_data["text"])
        return "The audit is open again. Its reviews can be changed."


class ReviewQueueView(AuditorMixin, SingleTableMixin, FilterView):
    """My reviews: what is assigned to the signed-in auditor, with progress."""

    template_name = "reviews/workflow/review_queue.html"
    table_class = ReviewQueueTable
    filterset_class = ReviewQueueFilter
    table_pagination = {"per_page": 25}

    def get_queryset(self):
        return review_queue(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["progress"] = review_progress(context["filter"].qs)
        return context


class ReviewObjectMixin(RoleRequiredMixin):
    roles = frozenset({Role.AUDITOR, Role.SUPERVISOR})

    def get_review(self) -> Review:
        if not hasattr(self, "_review"):
            self._review = get_object_or_404(reviews_for_page(user=self.request.user), pk=self.kwargs["pk"])
        return self._review


class ReviewDetailView(ReviewObjectMixin, FormView):
    """The review page: the decision in full beside the auditor's form (or their answers, for a supervisor,
    with the review's history)."""

    template_name = "reviews/workflow/review_detail.html"
    form_class = ReviewForm

    def can_edit(self) -> bool:
        return may_answer(self.request.user, self.get_review())

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["review"] = self.get_review()
        kwargs["submit"] = self.request.POST.get("action") in ("next", "submit")
        return kwargs

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # Crime records are sensitive: every reading of one is on record.
        access_record(user=request.user, action=AccessAction.VIEWED, request=request, target=self.get_review())
        return response

    def post(self, request, *args, **kwargs):
        review = self.get_review()
        if review.audit.is_locked:
            messages.error(request, AUDIT_LOCKED_MESSAGE)
            return HttpResponseRedirect(review.get_absolute_url())
        if review.auditor_id != request.user.pk:
            messages.error(request, "Only the auditor the review is assigned to can change its answers.")
            return HttpResponseRedirect(review.get_absolute_url())
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        action = self.request.POST.get("action")
        review = self.get_review()
        saved, refused = attempt(
            self,
            form,
            lambda: review_save(
                review=review,
                by=self.request.user,
                answers=form.answers(),
                version=form.cleaned_data["version"],
                submit=form.submit,
            ),
            refused_url=review.get_absolute_url(),
        )
        if refused:
            return refused
        reference = review.decision.crime_record.reference
        if action == "next":
            following = next_unfinished_review(review=saved, user=self.request.user)
            messages.success(self.request, f"Review of {reference} submitted.")
            if following is not None:
                return HttpResponseRedirect(following.get_absolute_url())
            messages.success(self.request, "You have no more reviews to do in this audit.")
            return HttpResponseRedirect(reverse("review_queue"))
        if action == "submit":
            messages.success(self.request, f"Review of {reference} submitted.")
            return HttpResponseRedirect(reverse("review_queue"))
        messages.success(self.request, f"Draft of the review of {reference} saved.")
        return HttpResponseRedirect(saved.get_absolute_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        review = self.get_review()
        user = self.request.user
        is_supervisor = can_supervise(user)
        context.update(
            review=review,
            decision=review.decision,
            record=review.decision.crime_record,
            can_edit=self.can_edit(),
            is_supervisor=is_supervisor,
            history=history_of(review) if is_supervisor else [],
            # Only supervisors may learn that the other review of the pair disagreed.
            disagreement=disagreement_of(review=review) if is_supervisor else None,
        )
        return context


class ReviewReturnView(ReviewObjectMixin, FormView):
    template_name = "reviews/workflow/review_return.html"
    form_class = ReturnCommentForm
    roles = SupervisorMixin.roles

    def form_valid(self, form):
        review = self.get_review()
        _, refused = attempt(
            self,
            form,
            lambda: review_return(review=review, by=self.request.user, comment=form.cleaned_data["text"]),
            refused_url=review.get_absolute_url(),
        )
        if refused:
            return refused
        messages.success(
            self.request, f"Review of {review.decision.crime_record.reference} returned to {review.auditor}."
        )
        return HttpResponseRedirect(review.audit.get_absolute_url())

    def get_context_data(self, **kwargs):
        return super().get_context_data(review=self.get_review(), **kwargs)


class ReviewApproveView(ReviewObjectMixin, View):
    """Approve one submitted review (a button on the review page)."""

    http_method_names = ["post"]
    roles = SupervisorMixin.roles

    def post(self, request, *args, **kwargs):
        review = self.get_review()
        try:
            review_approve(review=review, by=request.user)
        except ValidationError as error:
            show_refusal(request, error)
            return HttpResponseRedirect(review.get_absolute_url())
        messages.success(request, f"Review of {review.decision.crime_record.reference} approved.")
        following = (
            Review.objects.for_audit(review.audit_id)
            .filter(status=ReviewStatus.SUBMITTED)
            .order_by("decision__crime_record__offence_category", "sample_position", "pk")
            .first()
        )
        return HttpResponseRedirect(following.get_absolute_url() if following else review.audit.get_absolute_url())


class HomeView(LoginRequiredMixin, SingleTableView):
    """The start page: the audits the signed-in user may see, with their progress."""

    table_class = AuditTable
    template_name = "reviews/workflow/home.html"
    table_pagination = {"per_page": 25}

    def get_queryset(self):
        return audit_list(user=self.request.user)
