"""The upload form: one decisions or reviews file, what it holds, and whether to check it only or import it.

The file's size and emptiness are checked by `import_job_create` with the import engine's own words, so the
upload page, the data administration and the command line refuse a file alike."""

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from reviews.errors import ImportFileError
from reviews.imports.selectors import import_jobs_visible
from reviews.imports.services import import_job_create, upload_sha256
from reviews.models import ImportJob, ImportKind, ImportVia

# The same file, of the same kind and for the same step, sent again by the same person this soon after is taken
# for a second click on the button (or the browser sending the form again), not a new upload.
DOUBLE_SUBMIT_SECONDS = 10

REOPEN_APPROVED_LABEL = "Reopen approved reviews the file changes"
REOPEN_APPROVED_HELP = (
    "Left unticked, a row that would change an approved review is an error. Ticked, each such review goes back "
    "to submitted for approval, and its history names you."
)
CHECK_ONLY_LABEL = "Check only, save nothing"
CHECK_ONLY_HELP = "The whole file is checked and every error listed. If it passes, you can then import it."


class ImportUploadForm(forms.Form):
    """A file to check or import. `kind` is left out when the page already knows it (the data administration's
    import for decisions, or for reviews); then `reopen_approved` is kept for reviews only."""

    file = forms.FileField(
        label="Upload a file",
        help_text="CSV (UTF-8 or Windows-1252) or XLSX, with the format's header row.",
        allow_empty_file=True,  # refused by `import_job_create`, in the import engine's words
        error_messages={"required": "Select a file to upload.", "invalid": "Select a file to upload."},
    )
    kind = forms.ChoiceField(
        label="What does the file hold?",
        choices=ImportKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select what the file holds: decisions or reviews.",
            "invalid_choice": "Select what the file holds: decisions or reviews.",
        },
    )
    check_only = forms.BooleanField(label=CHECK_ONLY_LABEL, help_text=CHECK_ONLY_HELP, required=False, initial=True)
    reopen_approved = forms.BooleanField(label=REOPEN_APPROVED_LABEL, help_text=REOPEN_APPROVED_HELP, required=False)

    def __init__(self, *args, kind: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_kind = kind
        if kind is not None:
            del self.fields["kind"]
            if kind != ImportKind.REVIEWS:
                del self.fields["reopen_approved"]

    def clean(self):
        cleaned = super().clean()
        if self.fixed_kind is not None:
            cleaned["kind"] = self.fixed_kind
        if cleaned.get("kind") != ImportKind.REVIEWS:
            cleaned["reopen_approved"] = False
        return cleaned

    def save(self, *, by, via: str = ImportVia.UPLOAD_PAGE) -> tuple[ImportJob | None, bool]:
        """Create the job for this valid form: (the job, True), or (the job made of the same upload moments ago,
        False) for a double submit. A file `import_job_create` refuses (empty, too large) goes on the form as the
        file's error: (None, False).

        The person's own row is locked for the moment it takes, so two copies of one submit arriving together are
        dealt with in turn: the second finds the first's job."""
        data = self.cleaned_data
        upload = data["file"]
        sha256 = upload_sha256(upload)
        with transaction.atomic():
            get_user_model().objects.select_for_update().filter(pk=by.pk).first()
            earlier = (
                import_jobs_visible(by)
                .filter(
                    created_by=by,
                    file_sha256=sha256,
                    kind=data["kind"],
                    check_only=data["check_only"],
                    reopen_approved=data["reopen_approved"],
                    checked_by__isnull=True,
                    created_at__gte=timezone.now() - timedelta(seconds=DOUBLE_SUBMIT_SECONDS),
                )
                .first()
            )
            if earlier is not None:
                return earlier, False
            try:
                job = import_job_create(
                    upload=upload,
                    kind=data["kind"],
                    check_only=data["check_only"],
                    reopen_approved=data["reopen_approved"],
                    by=by,
                    via=via,
                    sha256=sha256,
                )
            except ImportFileError as error:
                self.add_error("file", str(error))
                return None, False
        return job, True
