"""Forms for the audit workflow's pages. Each form checks what the user typed; the services check the rules
again before anything is saved, and the database holds the last line."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from reviews.models import (
    AuditCategory,
    IncorrectReason,
    NoNeedToInformReason,
    OffenceCategory,
    Review,
    ReviewStatus,
    Verdict,
    VictimInformed,
)
from reviews.quality.qa import SHARE_INVALID
from reviews.workflow.planning import DEFAULT_MARGIN, DEFAULT_TOLERABLE_RATE
from reviews.workflow.sampling import propose_seed

YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class DateField(forms.DateField):
    """A date typed as 2025-04-01 or 01/04/2025."""

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m-%d", "%d/%m/%Y"], **kwargs)
        self.error_messages["invalid"] = "Enter a real date, for example 01/04/2025."


def second_review_share_field(**kwargs) -> forms.IntegerField:
    """The audit's second review share, 0-100, as the planning page and the second reviews page ask for it."""
    return forms.IntegerField(
        label="Second review share (per cent)",
        min_value=0,
        max_value=100,
        error_messages={
            "required": "Enter the second review share, from 0 to 100.",
            "invalid": SHARE_INVALID,
            "min_value": SHARE_INVALID,
            "max_value": SHARE_INVALID,
        },
        **kwargs,
    )


class AuditPlanForm(forms.Form):
    """A new audit: force, period, the categories to sample with a size each, and the seed."""

    force = forms.ModelChoiceField(
        queryset=None, empty_label="Choose a force", error_messages={"required": "Choose the force to audit."}
    )
    name = forms.CharField(
        label="Audit name",
        max_length=200,
        help_text="For example, Cancellations 2025-26.",
        error_messages={"required": "Enter a name for the audit."},
    )
    period_start = DateField(
        label="First decision date",
        help_text="For example, 01/04/2025.",
        error_messages={"required": "Enter the first decision date."},
    )
    period_end = DateField(
        label="Last decision date",
        help_text="For example, 31/03/2026.",
        error_messages={"required": "Enter the last decision date."},
    )
    categories = forms.MultipleChoiceField(
        label="Offence categories to sample",
        choices=OffenceCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one offence category to sample."},
    )
    second_review_share = second_review_share_field(
        initial=0,
        required=False,
        help_text="The per cent of each category's sample that a second auditor reviews without seeing the first "
        "verdict. 0 means no second reviews.",
    )
    margin = forms.IntegerField(
        label="Margin of error wanted (percentage points either side)",
        min_value=1,
        max_value=50,
        initial=DEFAULT_MARGIN,
        required=False,
        help_text='For "What the samples can show": the sample each category needs for a 95% interval this narrow.',
        error_messages={
            "invalid": "Enter the margin as a whole number of percentage points.",
            "min_value": "Enter a margin of at least 1 percentage point.",
            "max_value": "Enter a margin of at most 50 percentage points.",
        },
    )
    tolerable_rate = forms.IntegerField(
        label="Tolerable rate of incorrect decisions (%)",
        min_value=1,
        max_value=50,
        initial=DEFAULT_TOLERABLE_RATE,
        required=False,
        help_text="The attribute-sampling size shows this rate is not exceeded if no errors are found (95% "
        "confidence).",
        error_messages={
            "invalid": "Enter the tolerable rate as a whole number per cent.",
            "min_value": "Enter a tolerable rate of at least 1%%.",
            "max_value": "Enter a tolerable rate of at most 50%%.",
        },
    )
    seed = forms.IntegerField(
        label="Seed",
        min_value=0,
        max_value=2**63 - 1,
        help_text="The same seed and the same decisions always give the same sample. Keep the one proposed "
        "unless you are repeating an earlier draw.",
        error_messages={"required": "Enter a seed (a whole number).", "invalid": "Enter a seed as a whole number."},
    )

    def __init__(self, *args, **kwargs):
        from forces.models import Force

        super().__init__(*args, **kwargs)
        self.fields["force"].queryset = Force.objects.order_by("name")
        self.fields["seed"].initial = propose_seed()
        self.fields["categories"].initial = list(OffenceCategory.audited())
        for category, label in OffenceCategory.choices:
            self.fields[f"size_{category}"] = forms.IntegerField(
                label=f"{label}: sample size",
                min_value=1,
                max_value=10_000,
                initial=AuditCategory.DEFAULT_SAMPLE_SIZE,
                required=False,
                error_messages={
                    "invalid": "Enter the sample size as a whole number.",
                    "min_value": "Sample at least one decision.",
                    "max_value": "Sample at most 10,000 decisions per category.",
                },
            )

    def size_fields(self):
        return [(self[f"size_{category}"], category) for category, _ in OffenceCategory.choices]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "The period must end on or after the day it starts.")
        if end and end > timezone.localdate():
            self.add_error("period_end", "The period cannot end in the future.")
        sizes = {}
        for category in cleaned.get("categories") or []:
            size = cleaned.get(f"size_{category}")
            if size is None and f"size_{category}" not in self.errors:
                size = AuditCategory.DEFAULT_SAMPLE_SIZE
            sizes[category] = size
        cleaned["sizes"] = sizes
        return cleaned

    def sample_size(self) -> int:
        """The sample size the margin-of-error helper shows: the first chosen category's, or the default."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        sizes = [size for size in (data.get("sizes") or {}).values() if size]
        return sizes[0] if sizes else AuditCategory.DEFAULT_SAMPLE_SIZE


class ExtendSampleForm(forms.Form):
    extra_per_category = forms.IntegerField(
        label="How many more decisions per category?",
        min_value=1,
        max_value=1_000,
        help_text="The decisions already drawn stay in the sample.",
        error_messages={
            "required": "Enter how many decisions to add to each category.",
            "invalid": "Enter a whole number.",
            "min_value": "Add at least one decision.",
            "max_value": "Add at most 1,000 decisions per category at a time.",
        },
    )
    # The sample sizes' total when the page was opened: the same extension sent twice is added once.
    sample_total = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AssignEvenlyForm(forms.Form):
    auditors = forms.ModelMultipleChoiceField(
        label="Share the unassigned reviews between",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one auditor."},
    )

    def __init__(self, *args, auditor_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["auditors"].queryset = auditor_queryset
        self.fields["auditors"].label_from_instance = lambda user: user.get_full_name() or user.username


class ReasonForm(forms.Form):
    """One required text box; subclasses say what it is for."""

    label = help_text = required_message = ""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = self.label
        self.fields["text"].help_text = self.help_text
        self.fields["text"].error_messages["required"] = self.required_message


class ReturnCommentForm(ReasonForm):
    label = "What does the auditor need to change?"
    help_text = "The auditor sees this on the review page. It is kept in the review's history."
    required_message = "Enter what the auditor needs to change."


class ReopenReasonForm(ReasonForm):
    label = "Why does the audit need reopening?"
    help_text = "The reason is kept in the audit's history."
    required_message = "Enter why the audit is being reopened."


def _question(name: str, choices, field_class=forms.ChoiceField, **kwargs) -> forms.ChoiceField:
    """A radio-button question about a review, labelled as the model's field is. Optional: the model and
    the form's `clean` decide what a draft or a submission needs."""
    label = Review._meta.get_field(name).verbose_name
    return field_class(label=label, choices=choices, widget=forms.RadioSelect, required=False, **kwargs)


class ReviewForm(forms.Form):
    """The auditor's answers. Checked against the same rules as the model (`Review.clean`), for the status
    the save would give: a draft may be partial, a submission must be complete."""

    decision_correct = _question("decision_correct", Verdict.choices)
    incorrect_reason = _question("incorrect_reason", IncorrectReason.choices)
    victim_should_be_informed = _question(
        "victim_should_be_informed", YES_NO, forms.TypedChoiceField, coerce=_yes_no, empty_value=None
    )
    no_need_to_inform_reason = _question("no_need_to_inform_reason", NoNeedToInformReason.choices)
    victim_informed = _question(
        "victim_informed",
        VictimInformed.choices,
        help_text='"No auditable record" counts as not informed, but is kept apart.',
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=10_000,
        help_text="Required when the decision was incorrect: say why.",
    )
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "The form was incomplete. Open the review again and re-enter your answers.",
            "invalid": "The form was incomplete. Open the review again and re-enter your answers.",
        },
    )

    def __init__(self, *args, review: Review, submit: bool = False, **kwargs):
        if "data" not in kwargs and not args:
            kwargs["initial"] = {
                **review.answers(),
                "victim_should_be_informed": {True: "yes", False: "no"}.get(review.victim_should_be_informed),
                "version": review.version,
            }
        super().__init__(*args, **kwargs)
        self.review = review
        self.submit = submit

    def clean(self):
        cleaned = super().clean()
        # Follow-up answers to a question answered otherwise are dropped, not reported: without JavaScript
        # the follow-up questions stay visible, so an earlier choice can linger there.
        if cleaned.get("decision_correct") != Verdict.NO:
            cleaned["incorrect_reason"] = ""
        if cleaned.get("victim_should_be_informed") is not True:
            cleaned["victim_informed"] = ""
        if cleaned.get("victim_should_be_informed") is not False:
            cleaned["no_need_to_inform_reason"] = ""
        candidate = Review(
            audit=self.review.audit,
            decision=self.review.decision,
            auditor_id=self.review.auditor_id,
            status=ReviewStatus.SUBMITTED if self.submit else ReviewStatus.DRAFT,
            **{name: cleaned.get(name, getattr(self.review, name)) for name in Review.ANSWER_FIELDS},
        )
        try:
            candidate.clean()
        except ValidationError as error:
            self._add_model_errors(error)
        return cleaned

    def answers(self) -> dict:
        return {name: self.cleaned_data[name] for name in Review.ANSWER_FIELDS}

    def _add_model_errors(self, error: ValidationError) -> None:
        for name, errors in error.update_error_dict({}).items():
            self.add_error(name if name in self.fields else None, errors)
