"""The force contact's outcome form and the supervisor's return comment."""

from django import forms

from reviews.models import OUTCOME_DETAILS_REQUIRED, ActionOutcome
from reviews.workflow.forms import DateField, ReasonForm


class OutcomeForm(forms.Form):
    """What the force did: one of the outcomes for the action's kind, with the evidence, the attempts, the reason
    or the date the victim was told, as the outcome needs."""

    outcome = forms.ChoiceField(
        label="What was done?", widget=forms.RadioSelect, error_messages={"required": "Select what was done."}
    )
    details = forms.CharField(
        label="Details",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text="The new evidence, the attempts to contact the victim, the reason, or what else was done.",
    )
    victim_told_on = DateField(label="Date the victim was told", required=False, help_text="For example 01/04/2026.")

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [(outcome.value, outcome.label) for outcome in ActionOutcome.for_kind(kind)]
        if kind != "tell_victim":
            del self.fields["victim_told_on"]

    def clean(self):
        cleaned = super().clean()
        outcome = cleaned.get("outcome")
        if outcome in OUTCOME_DETAILS_REQUIRED and not cleaned.get("details", "").strip():
            self.add_error("details", OUTCOME_DETAILS_REQUIRED[ActionOutcome(outcome)])
        if (
            outcome == ActionOutcome.VICTIM_TOLD
            and not cleaned.get("victim_told_on")
            and "victim_told_on" in self.fields
        ):
            if not self.has_error("victim_told_on"):
                self.add_error("victim_told_on", "Enter the date the victim was told.")
        elif outcome != ActionOutcome.VICTIM_TOLD:
            cleaned["victim_told_on"] = None
        return cleaned


class ActionReturnForm(ReasonForm):
    label = "What does the force need to do?"
    help_text = "The force contact sees this on the action's page. It is kept in the action's history."
    required_message = "Enter what the force needs to do."
