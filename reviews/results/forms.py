"""The results' one form: publishing an audit's results, with the note a correction needs."""

from django import forms


class PublishForm(forms.Form):
    correction_note = forms.CharField(
        label="What does this correction change, and why?",
        help_text='Shown with the new version as "Corrected on ...: ..." and kept with it.',
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        required=False,
    )
