"""Acceptance 4: once an audit is signed off, its reviews cannot be changed through the review page, the
services, the model (which imports save through) or the admin; each refusal says why."""

import pytest
import tablib
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from import_export import resources

from reviews.errors import AuditLockedError
from reviews.models import AuditStatus, OffenceCategory, Review, ReviewStatus, Verdict
from reviews.workflow.planning import audit_draw_sample
from reviews.workflow.services import (
    audit_approve_submitted,
    audit_assign_evenly,
    audit_reopen,
    audit_sign_off,
    review_approve,
    review_assign,
    review_return,
    review_save,
)
from tests.factories import DecisionFactory, sampled_audit

pytestmark = pytest.mark.django_db

LOCKED = "This audit is signed off: its reviews can no longer be changed."
ANSWERS = {"decision_correct": Verdict.YES, "victim_should_be_informed": True, "victim_informed": "yes"}


@pytest.fixture
def signed_off(supervisor, auditor):
    for number in range(2):
        DecisionFactory(crime_record__reference=f"NH/26/{number:05d}")
    audit = sampled_audit(name="Locked", sizes={OffenceCategory.VIOLENCE: 2}, seed=3, auditors=[auditor], by=supervisor)
    for review in audit.reviews.all():
        review_save(review=review, by=auditor, answers=ANSWERS, version=review.version, submit=True)
    audit_approve_submitted(audit=audit, by=supervisor)
    audit_sign_off(audit=audit, by=supervisor)
    return audit


def test_the_review_page_refuses_a_change_with_a_message(client, signed_off, auditor):
    review = signed_off.reviews.first()
    client.force_login(auditor)
    page = client.get(reverse("review_detail", args=[review.pk])).content.decode()
    assert LOCKED in page
    assert "Save draft" not in page

    response = client.post(
        reverse("review_detail", args=[review.pk]),
        {
            "decision_correct": "no",
            "incorrect_reason": "other",
            "notes": "x",
            "action": "draft",
            "version": review.version,
        },
        follow=True,
    )

    assert LOCKED in response.content.decode()
    review.refresh_from_db()
    assert review.decision_correct == Verdict.YES
    assert review.status == ReviewStatus.APPROVED


def test_the_supervisors_pages_refuse_changes_with_a_message(client, signed_off, supervisor):
    review = signed_off.reviews.first()
    client.force_login(supervisor)

    returned = client.post(reverse("review_return", args=[review.pk]), {"text": "Look again."}, follow=True)
    extended = client.post(reverse("audit_extend", args=[signed_off.pk]), {"extra_per_category": "1"}, follow=True)

    assert LOCKED in returned.content.decode()
    assert LOCKED in extended.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED
    assert signed_off.reviews.count() == 2


@pytest.mark.parametrize(
    "change",
    [
        lambda review, by: review_save(
            review=review, by=review.auditor, answers=ANSWERS, version=review.version, submit=False
        ),
        lambda review, by: review_return(review=review, by=by, comment="Look again."),
        lambda review, by: review_approve(review=review, by=by),
        lambda review, by: review_assign(review=review, auditor=None, by=by),
        lambda review, by: audit_draw_sample(audit=review.audit, extra_per_category=1, by=by),
        lambda review, by: audit_assign_evenly(audit=review.audit, auditors=[review.auditor], by=by),
        lambda review, by: audit_approve_submitted(audit=review.audit, by=by),
    ],
    ids=["save", "return", "approve", "assign", "extend", "assign_evenly", "approve_all"],
)
def test_every_service_refuses(signed_off, supervisor, change):
    review = signed_off.reviews.first()
    before = list(Review.objects.order_by("pk").values())

    with pytest.raises(AuditLockedError, match=LOCKED):
        change(review, supervisor)

    assert list(Review.objects.order_by("pk").values()) == before


def test_the_model_refuses_saves_and_deletes_whatever_path_they_come_by(signed_off):
    review = signed_off.reviews.first()
    review.notes = "Changed behind the services' back."

    with pytest.raises(ValidationError, match=LOCKED):
        review.full_clean()
    with pytest.raises(AuditLockedError):
        review.save()
    with pytest.raises(AuditLockedError):
        review.delete()
    assert Review.objects.get(pk=review.pk).notes == ""


def test_a_model_resource_import_is_refused_row_by_row(signed_off):
    """A django-import-export resource saves through the model, so the model's refusal reaches imports."""

    class ReviewResource(resources.ModelResource):
        class Meta:
            model = Review
            fields = ("id", "decision_correct", "notes")
            clean_model_instances = True

    review = signed_off.reviews.first()
    dataset = tablib.Dataset(headers=["id", "decision_correct", "notes"])
    dataset.append([review.pk, "no", "Imported over a signed-off audit."])

    result = ReviewResource().import_data(dataset, dry_run=False, raise_errors=False)

    assert result.has_validation_errors() or result.has_errors()
    messages = " ".join(
        message for row in result.invalid_rows for messages in row.error_dict.values() for message in messages
    ) + " ".join(str(error.error) for _, errors in result.row_errors() for error in errors)
    assert LOCKED in messages
    review.refresh_from_db()
    assert review.decision_correct == Verdict.YES


def test_the_admin_refuses_deleting_signed_off_reviews_in_bulk(client, signed_off, data_steward):
    data_steward.user_permissions.add(Permission.objects.get(codename="delete_review"))
    client.force_login(data_steward)
    ids = list(signed_off.reviews.values_list("pk", flat=True))

    confirm = client.post(
        reverse("admin:reviews_review_changelist"), {"action": "delete_selected", "_selected_action": ids}
    )
    attempt = client.post(
        reverse("admin:reviews_review_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )

    assert "reviews of a signed-off audit" in confirm.content.decode()
    assert attempt.status_code == 403
    assert Review.objects.filter(pk__in=ids).count() == 2


def test_reopening_unlocks_the_reviews(signed_off, supervisor):
    audit_reopen(audit=signed_off, by=supervisor, reason="Corrected extract.")
    review = signed_off.reviews.first()

    review_return(review=review, by=supervisor, comment="Look again.")

    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    signed_off.refresh_from_db()
    assert signed_off.status == AuditStatus.IN_PROGRESS
