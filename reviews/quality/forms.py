"""The quality assurance forms: the second review share, a known-answer item, a final verdict."""

from django import forms

from reviews.models import (
    Verdict,
)
from reviews.workflow.forms import ReviewForm, second_review_share_field


class SecondReviewShareForm(forms.Form):
    second_review_share = second_review_share_field(
        help_text="Raising the share adds second reviews; lowering it removes none already chosen."
    )


class KnownAnswerForm(forms.Form):
    reference = forms.CharField(
        label="Crime reference",
        max_length=50,
        error_messages={"required": "Enter the crime reference of the decision to add."},
    )
    decision_correct = forms.ChoiceField(
        label="Settled verdict: was the decision correct?",
        choices=Verdict.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the settled verdict."},
    )
    source = forms.CharField(
        label="Where does the settled verdict come from?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Enter where the settled verdict comes from."},
    )


class ResolutionForm(ReviewForm):
    """The supervisor's final verdict on a disagreement: the same questions as a review, all required, and
    why."""

    reason = forms.CharField(
        label="Why is this the final verdict?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text="Kept with the disagreement and in its history.",
        error_messages={"required": "Explain why this is the final verdict."},
    )

    def __init__(self, *args, reason: str = "", **kwargs):
        super().__init__(*args, submit=True, **kwargs)
        self.fields["version"].required = False
        self.fields["reason"].initial = reason
