"""Publishing a signed-off audit's results as a frozen version, and correcting it with a new one.

What the pages, force contacts and exports quote from then on is the version, never the live reviews: reopening
the audit changes its reviews, not what was published. Signing it off again and publishing makes version 2 with
a correction note; version 1 stays at its own address, marked superseded. Each publication also makes the next
release of the open data package (`opendata`).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from reviews.models import Audit, PublishedResults
from reviews.permissions import can_supervise
from reviews.results.opendata import open_data_release_build
from reviews.results.published import canonical_csv, freeze, sha256_of
from reviews.results.selectors import Scope, force_results

NOT_SIGNED_OFF_MESSAGE = "Only a signed-off audit's results can be published: sign the audit off first."
ALREADY_PUBLISHED_MESSAGE = (
    "These results are already published. Reopen the audit, make the change and sign it off again to publish "
    "a correction."
)
CORRECTION_NOTE_MESSAGE = "Say what the correction changes: it is shown with the new version."


def publication_state(audit: Audit) -> tuple[PublishedResults | None, bool]:
    """The audit's standing published version (or None), and whether its current sign-off may be published
    (signed off, and not the sign-off already published)."""
    current = audit.published_versions.current().first()
    publishable = audit.is_locked and (current is None or current.signed_off_at != audit.signed_off_at)
    return current, publishable


@transaction.atomic
def audit_publish(*, audit: Audit, by, correction_note: str = "") -> PublishedResults:
    """Publish the audit's results as they stand at its sign-off: version 1, or the next version with
    `correction_note` when a version is already published, marking the one it replaces superseded.

    Raises `PermissionDenied` unless `by` may supervise, and `ValidationError` when the audit is not signed off,
    its sign-off is already published, or a correction has no note.
    """
    if not can_supervise(by):
        raise PermissionDenied("Only a supervisor publishes results.")
    audit = Audit.objects.select_for_update().select_related("force").get(pk=audit.pk)
    current, publishable = publication_state(audit)
    if not audit.is_locked:
        raise ValidationError(NOT_SIGNED_OFF_MESSAGE, code="not_signed_off")
    if not publishable:
        raise ValidationError(ALREADY_PUBLISHED_MESSAGE, code="already_published")
    correction_note = correction_note.strip()
    if current and not correction_note:
        raise ValidationError({"correction_note": CORRECTION_NOTE_MESSAGE})
    results = force_results(force=audit.force, user=by, scope=Scope(), audit_id=audit.pk)
    frozen = freeze(results)
    text = canonical_csv(frozen)
    now = timezone.now()
    if current:
        PublishedResults.objects.filter(pk=current.pk).update(superseded_at=now)
    version = PublishedResults(
        audit=audit,
        force=audit.force,
        period_start=audit.period_start,
        period_end=audit.period_end,
        version=current.version + 1 if current else 1,
        figures=frozen,
        csv=text,
        sha256=sha256_of(text),
        correction_note=correction_note if current else "",
        signed_off_at=audit.signed_off_at,
        published_by=by,
        published_at=now,
    )
    version.full_clean()
    version.save()
    # The open data package is rebuilt with every publication, in the same transaction: no version is ever
    # published without a release that holds it.
    open_data_release_build(published=version)
    return version
