"""The refusals the services and models raise, with the words users see: pages turn them into messages."""

from django.core.exceptions import ValidationError

STALE_REVIEW_MESSAGE = (
    "Someone else saved this review after you opened it. Your changes were not saved: "
    "the review now shows their answers. Make your changes again if they are still needed."
)


class StaleReviewError(ValidationError):
    """A save based on an older version of the review than the one stored: the stored one is kept."""

    def __init__(self):
        super().__init__(STALE_REVIEW_MESSAGE, code="stale")


AUDIT_LOCKED_MESSAGE = "This audit is signed off: its reviews can no longer be changed."


class AuditLockedError(ValidationError):
    """A change to a review of a signed-off audit. Raised by the model itself, so every path that saves
    through it (pages, services, imports, the admin) is refused the same way."""

    def __init__(self, message: str = AUDIT_LOCKED_MESSAGE):
        super().__init__(message, code="audit_locked")


class ImportFileError(ValueError):
    """The file as a whole cannot be read: empty, too large (or unpacking too large), not CSV or XLSX, with a byte
    that is not text, or missing columns."""


class ImportRefused(Exception):
    """Raised inside the import's transaction to undo it; carries the report
    (`reviews.exchange.reading.ImportReport`) with the row errors."""

    def __init__(self, report):
        super().__init__(report.summary())
        self.report = report


IMPORT_CANCELLED_MESSAGE = "The import was cancelled: nothing was saved."


class ImportCancelled(Exception):
    """Raised inside an import's transaction when the person who started it cancels it: everything is undone."""

    def __init__(self, message: str = IMPORT_CANCELLED_MESSAGE):
        super().__init__(message)


class ImportJobRefused(ValidationError):
    """A step on an import job that its state does not allow (importing a check that found errors, cancelling a
    job that has finished): nothing is changed."""
