"""The audit workflow's pages: planning, the audit, assignment, the auditor's queue and review page, and
the supervisor's return, approval, sign-off and reopening. Views parse the request, call one service and
render; every id in a URL is looked up through a queryset scoped to the signed-in user."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import UserPassesTestMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.generic import FormView, TemplateView, View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from accounts.models import AccessAction
from accounts.roles import Role
from accounts.services import access_record
from reviews import selectors, services
from reviews.filters import ReviewQueueFilter
from reviews.forms import (
    AssignEvenlyForm,
    AuditPlanForm,
    ExtendSampleForm,
    ReopenReasonForm,
    ReturnCommentForm,
    ReviewForm,
)
from reviews.models import Audit, AuditLockedError, Review, ReviewKind, ReviewStatus
from reviews.sampling import margins_of_error
from reviews.tables import AuditReviewTable, ReviewQueueTable


class RoleRequiredMixin(UserPassesTestMixin):
    """Signed-in users holding one of `roles`; others get 403, and anonymous users the sign-in page."""

    roles: frozenset[str] = frozenset()

    def test_func(self) -> bool:
        user = self.request.user
        return user.is_authenticated and (user.is_superuser or bool(user.roles & self.roles))


class SupervisorMixin(RoleRequiredMixin):
    roles = frozenset({Role.SUPERVISOR})


def _refusal(request, error: ValidationError) -> None:
    """Tell the user why a service refused, in its own words."""
    for message in error.messages:
        messages.error(request, message)


def _add_errors(form, error: ValidationError) -> None:
    """Put a service's refusal on the form: field messages beside their fields, the rest at the top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _attempt(view, form, action, *, refused_url: str):
    """Run the service call `action()`. Returns (its result, None), or (None, the response to give) when it
    is refused: a refusal of the whole request (a signed-off audit, a stale copy of a review) is a message
    and a redirect to `refused_url`; a problem with what was typed goes back on the form."""
    try:
        return action(), None
    except (AuditLockedError, services.StaleReviewError) as error:
        _refusal(view.request, error)
        return None, HttpResponseRedirect(refused_url)
    except ValidationError as error:
        _add_errors(form, error)
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


class AuditPlanView(SupervisorMixin, FormView):
    """Plan an audit and draw its sample. "Show margins of error" re-displays the form with the helper
    worked out for the size entered, without saving."""

    template_name = "reviews/audit_plan.html"
    form_class = AuditPlanForm

    def form_valid(self, form):
        data = form.cleaned_data
        if self.request.POST.get("action") == "margins":
            return self.render_to_response(self.get_context_data(form=form))
        try:
            audit, _ = services.audit_plan(
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
            _add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{audit.name} is planned and its sample drawn.")
        return HttpResponseRedirect(audit.get_absolute_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        size = form.sample_size() if form.is_bound and not form.errors else 20
        context.update(margin_size=size, margins=margins_of_error(size))
        return context


class AuditDetailView(RoleRequiredMixin, AuditObjectMixin, SingleTableMixin, TemplateView):
    """An audit: its sample per category with population and checksum, progress per auditor, and for
    supervisors every review and the actions open to them."""

    roles = frozenset(Role.values)
    template_name = "reviews/audit_detail.html"
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
        is_supervisor = user.is_superuser or Role.SUPERVISOR in user.roles
        audit_staff = user.is_superuser or bool(user.roles & {Role.AUDITOR, Role.SUPERVISOR, Role.DATA_STEWARD})
        # Only supervisors see the list of reviews: skip building the table (and its queries) for others.
        context = super().get_context_data(**kwargs) if is_supervisor else TemplateView.get_context_data(self, **kwargs)
        counts = selectors.audit_review_counts(audit=audit)
        context.update(
            audit=audit,
            categories=audit.categories.all(),
            counts=counts,
            # A force's own registrar team sees its results, not who in the inspectorate did what.
            progress=selectors.audit_progress_by_auditor(audit=audit) if audit_staff else [],
            is_supervisor=is_supervisor,
            audit_staff=audit_staff,
            can_sign_off=not audit.is_locked and counts["total"] > 0 and counts["approved"] == counts["total"],
            history=selectors.history_of(audit) if is_supervisor else [],
            quality=selectors.audit_quality(audit=audit) if is_supervisor else None,
        )
        return context


class AuditActionView(SupervisorMixin, AuditObjectMixin, FormView):
    """A supervisor's form about one audit; `act(form)` calls the service and returns the success message."""

    title = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(audit=self.get_audit(), title=self.title, **kwargs)

    def form_valid(self, form):
        message, refused = _attempt(self, form, lambda: self.act(form), refused_url=self.get_audit().get_absolute_url())
        if refused:
            return refused
        if message:
            messages.success(self.request, message)
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self):
        return self.get_audit().get_absolute_url()


class AuditExtendView(AuditActionView):
    template_name = "reviews/audit_extend.html"
    form_class = ExtendSampleForm
    title = "Extend the sample"

    def get_initial(self):
        return {"sample_total": services.sample_total(self.get_audit())}

    def act(self, form):
        draws = services.audit_draw_sample(
            audit=self.get_audit(),
            extra_per_category=form.cleaned_data["extra_per_category"],
            expected_sample_total=form.cleaned_data["sample_total"],
            by=self.request.user,
        )
        added = sum(draw.added for draw in draws)
        if not added:
            return "Nothing was added: the sample has already been extended, or every category is taken whole."
        return f"{added} decision{'s' if added != 1 else ''} added to the sample."


class AuditAssignView(AuditActionView):
    """Assign reviews: share the unassigned ones evenly, or choose an auditor for each one."""

    template_name = "reviews/audit_assign.html"
    form_class = AssignEvenlyForm
    title = "Assign reviews"
    per_page = 50

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["auditor_queryset"] = selectors.auditors()
        return kwargs

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "one_by_one":
            return self._assign_one_by_one(request)
        return super().post(request, *args, **kwargs)

    def act(self, form):
        count = services.audit_assign_evenly(
            audit=self.get_audit(), auditors=list(form.cleaned_data["auditors"]), by=self.request.user
        )
        if not count:
            return "Every review already has an auditor."
        return f"{count} review{'s' if count != 1 else ''} assigned."

    def _assign_one_by_one(self, request):
        audit = self.get_audit()
        people = {str(user.pk): user for user in selectors.auditors()}
        posted = {
            key.removeprefix("review-"): value for key, value in request.POST.items() if key.startswith("review-")
        }
        reviews = Review.objects.for_audit(audit).filter(pk__in=[key for key in posted if key.isdigit()])
        changed = 0
        for review in reviews:
            value = posted[str(review.pk)]
            if value and value not in people:
                messages.error(request, "Choose an auditor from the list.")
                continue
            auditor = people.get(value)
            if review.auditor_id == (auditor.pk if auditor else None):
                continue
            try:
                services.review_assign(review=review, auditor=auditor, by=request.user)
                changed += 1
            except ValidationError as error:
                _refusal(request, error)
        if changed:
            messages.success(request, f"{changed} review{'s' if changed != 1 else ''} reassigned.")
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
            auditor_choices=list(selectors.auditors()),
            counts=selectors.audit_review_counts(audit=self.get_audit()),
        )
        return context


class AuditApproveView(AuditActionView):
    template_name = "reviews/audit_confirm.html"
    form_class = forms.Form  # nothing to fill in: the confirmation is the button
    title = "Approve every submitted review"

    def act(self, form):
        count = services.audit_approve_submitted(audit=self.get_audit(), by=self.request.user)
        return f"{count} review{'s' if count != 1 else ''} approved." if count else "No review was waiting."

    def get_context_data(self, **kwargs):
        counts = selectors.audit_review_counts(audit=self.get_audit())
        return super().get_context_data(
            counts=counts,
            explanation=f"{counts['submitted']} submitted review{'s' if counts['submitted'] != 1 else ''} "
            "will be approved. Approved reviews count in the audit's results.",
            button="Approve submitted reviews",
            **kwargs,
        )


class AuditSignOffView(AuditActionView):
    template_name = "reviews/audit_sign_off.html"
    form_class = forms.Form
    title = "Sign the audit off"

    def act(self, form):
        audit = services.audit_sign_off(audit=self.get_audit(), by=self.request.user)
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
            unresolved=selectors.unresolved_disagreements(audit=self.get_audit()),
            **kwargs,
        )


class AuditReopenView(AuditActionView):
    template_name = "reviews/audit_reason.html"
    form_class = ReopenReasonForm
    title = "Reopen the audit"

    def act(self, form):
        services.audit_reopen(audit=self.get_audit(), by=self.request.user, reason=form.cleaned_data["text"])
        return "The audit is open again. Its reviews can be changed."


class ReviewQueueView(RoleRequiredMixin, SingleTableMixin, FilterView):
    """My reviews: what is assigned to the signed-in auditor, with progress."""

    roles = frozenset({Role.AUDITOR})
    template_name = "reviews/review_queue.html"
    table_class = ReviewQueueTable
    filterset_class = ReviewQueueFilter
    table_pagination = {"per_page": 25}

    def get_queryset(self):
        return selectors.review_queue(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["progress"] = selectors.review_progress(context["filter"].qs)
        return context


class ReviewObjectMixin(RoleRequiredMixin):
    roles = frozenset({Role.AUDITOR, Role.SUPERVISOR})

    def get_review(self) -> Review:
        if not hasattr(self, "_review"):
            self._review = get_object_or_404(selectors.reviews_for_page(user=self.request.user), pk=self.kwargs["pk"])
        return self._review


class ReviewDetailView(ReviewObjectMixin, FormView):
    """The review page: the decision in full beside the auditor's form (or their answers, for a supervisor,
    with the review's history)."""

    template_name = "reviews/review_detail.html"
    form_class = ReviewForm

    def can_edit(self) -> bool:
        review = self.get_review()
        return (
            review.auditor_id == self.request.user.pk
            and review.status in (ReviewStatus.TO_DO, ReviewStatus.DRAFT)
            and not review.audit.is_locked
        )

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
            messages.error(request, "This audit is signed off: its reviews can no longer be changed.")
            return HttpResponseRedirect(review.get_absolute_url())
        if review.auditor_id != request.user.pk:
            messages.error(request, "Only the auditor the review is assigned to can change its answers.")
            return HttpResponseRedirect(review.get_absolute_url())
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        action = self.request.POST.get("action")
        review = self.get_review()
        saved, refused = _attempt(
            self,
            form,
            lambda: services.review_save(
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
            following = selectors.next_unfinished_review(review=saved, user=self.request.user)
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
        is_supervisor = user.is_superuser or Role.SUPERVISOR in user.roles
        context.update(
            review=review,
            decision=review.decision,
            record=review.decision.crime_record,
            can_edit=self.can_edit(),
            is_supervisor=is_supervisor,
            history=selectors.history_of(review) if is_supervisor else [],
            # Only supervisors may learn that the other review of the pair disagreed.
            disagreement=selectors.disagreement_of(review=review) if is_supervisor else None,
        )
        return context


class ReviewReturnView(ReviewObjectMixin, FormView):
    template_name = "reviews/review_return.html"
    form_class = ReturnCommentForm
    roles = frozenset({Role.SUPERVISOR})

    def form_valid(self, form):
        review = self.get_review()
        _, refused = _attempt(
            self,
            form,
            lambda: services.review_return(review=review, by=self.request.user, comment=form.cleaned_data["text"]),
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
    roles = frozenset({Role.SUPERVISOR})

    def post(self, request, *args, **kwargs):
        review = self.get_review()
        try:
            services.review_approve(review=review, by=request.user)
        except ValidationError as error:
            _refusal(request, error)
            return HttpResponseRedirect(review.get_absolute_url())
        messages.success(request, f"Review of {review.decision.crime_record.reference} approved.")
        following = (
            Review.objects.for_audit(review.audit_id)
            .filter(status=ReviewStatus.SUBMITTED)
            .order_by("decision__crime_record__offence_category", "sample_position", "pk")
            .first()
        )
        return HttpResponseRedirect(following.get_absolute_url() if following else review.audit.get_absolute_url())
