"""Publishing an audit's results: frozen versions, corrections as new versions, superseded marking (acceptance 1)."""

import csv
import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from reviews.models import OffenceCategory, PublishedResults, Verdict
from reviews.results.published import force_trend
from reviews.results.publishing import audit_publish
from reviews.workflow.services import audit_reopen, audit_sign_off
from tests.factories import AuditFactory, UserFactory
from tests.reviews.results import summary_data as data
from tests.reviews.test_models import assert_violates, full_clean_errors

pytestmark = pytest.mark.django_db

OTHER_SEXUAL = OffenceCategory.OTHER_SEXUAL


@pytest.fixture
def audit(db):
    audit = data.audit("northamptonshire", "Northamptonshire 2025-26", categories=[OTHER_SEXUAL])
    data.reviews(audit, OTHER_SEXUAL, correct=18, incorrect=2, told=17, not_told=1)
    return audit


def _rows(version):
    return list(csv.DictReader(io.StringIO(version.csv)))


def test_publishing_freezes_the_figures_the_csv_and_its_sha256(audit, supervisor):
    version = audit_publish(audit=audit, by=supervisor)

    assert version.version == 1
    assert version.sha256 == hashlib.sha256(version.csv.encode()).hexdigest()
    category = next(row for row in _rows(version) if row["group"] == OTHER_SEXUAL)
    assert (category["incorrect"], category["incorrect_rate"], category["incorrect_lower_95"]) == ("2", "10.0", "2.8")
    assert "wrongly cancelled 1 in 10 other sexual offence records reviewed (2 of 20)" in version.figures["headline"]


def test_a_correction_leaves_version_1_as_it_was_and_publishes_version_2_with_its_note(audit, supervisor):
    first = audit_publish(audit=audit, by=supervisor)
    figures, csv_text, sha256 = first.figures, first.csv, first.sha256

    audit_reopen(audit=audit, by=supervisor, reason="One verdict was keyed wrongly")
    review = audit.reviews.filter(decision_correct=Verdict.YES).first()
    review.decision_correct = Verdict.NO
    review.incorrect_reason = "avi_not_verifiable"
    review.save()
    audit_sign_off(audit=audit, by=supervisor)
    second = audit_publish(audit=audit, by=supervisor, correction_note="One verdict was keyed wrongly.")

    first.refresh_from_db()
    assert (first.figures, first.csv, first.sha256) == (figures, csv_text, sha256)
    assert first.is_superseded
    assert (second.version, second.correction_note, second.is_superseded) == (
        2,
        "One verdict was keyed wrongly.",
        False,
    )
    category = next(row for row in _rows(second) if row["group"] == OTHER_SEXUAL)
    assert category["incorrect"] == "3"
    assert second.sha256 != sha256


def test_reopening_an_audit_does_not_change_what_was_published(audit, supervisor):
    version = audit_publish(audit=audit, by=supervisor)

    audit_reopen(audit=audit, by=supervisor, reason="Checking a verdict")
    audit.reviews.update(decision_correct=Verdict.NO, incorrect_reason="avi_not_verifiable")

    version.refresh_from_db()
    assert version.figures["categories"][0]["incorrect"] == 2
    assert not version.is_superseded


def test_a_correction_needs_a_note_and_a_new_sign_off(audit, supervisor):
    audit_publish(audit=audit, by=supervisor)

    with pytest.raises(ValidationError, match="already published"):
        audit_publish(audit=audit, by=supervisor, correction_note="Again")
    audit_reopen(audit=audit, by=supervisor, reason="Checking")
    audit_sign_off(audit=audit, by=supervisor)
    with pytest.raises(ValidationError, match="Say what the correction changes"):
        audit_publish(audit=audit, by=supervisor, correction_note="  ")
    assert PublishedResults.objects.filter(audit=audit).count() == 1


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.DATA_STEWARD, Role.FORCE_CONTACT])
def test_only_a_supervisor_publishes(audit, role):
    with pytest.raises(PermissionDenied):
        audit_publish(audit=audit, by=UserFactory(role=role))
    assert not PublishedResults.objects.exists()


def test_an_audit_not_signed_off_cannot_be_published(supervisor):
    audit = AuditFactory(in_progress=True)

    with pytest.raises(ValidationError, match="signed-off"):
        audit_publish(audit=audit, by=supervisor)
    assert not PublishedResults.objects.exists()


def test_a_stored_version_refuses_to_change(audit, supervisor):
    version = audit_publish(audit=audit, by=supervisor)

    version.figures = {}
    with pytest.raises(ValidationError, match="never change"):
        version.save()


def test_the_trend_gives_each_change_with_its_verdict(supervisor):
    earlier = data.audit("northamptonshire", "Northamptonshire 2024-25", categories=[OTHER_SEXUAL])
    data.reviews(earlier, OTHER_SEXUAL, correct=42, incorrect=29)
    later = data.audit("northamptonshire", "Northamptonshire 2025-26", categories=[OTHER_SEXUAL])
    later.period_end = later.period_end.replace(year=2027)
    later.save()
    data.reviews(later, OTHER_SEXUAL, correct=18, incorrect=2)
    latest = data.audit("northamptonshire", "Northamptonshire 2026-27", categories=[OTHER_SEXUAL])
    latest.period_end = latest.period_end.replace(year=2028)
    latest.save()
    data.reviews(latest, OTHER_SEXUAL, correct=17, incorrect=3)
    for each in (latest, earlier, later):
        audit_publish(audit=each, by=supervisor)

    [trend] = force_trend(force=earlier.force, user=supervisor)

    assert [str(point.share) for point in trend.points] == ["29 of 71", "2 of 20", "3 of 20"]
    assert [point.change.verdict if point.change else None for point in trend.points] == [
        None,
        "improved",
        "no clear change",
    ]


def _copy(published, **changes) -> PublishedResults:
    fields = {
        field.name: getattr(published, field.name)
        for field in PublishedResults._meta.concrete_fields
        if field.name not in {"id", "superseded_at"}
    }
    return PublishedResults(**{**fields, **changes})


def test_the_database_keeps_one_current_version_per_audit_and_a_note_on_every_correction(audit, supervisor):
    version = audit_publish(audit=audit, by=supervisor)

    assert_violates(_copy(version, version=2, correction_note="Again").save, "published_results_one_current_per_audit")
    assert_violates(
        _copy(version, version=1, superseded_at=version.published_at).save,
        "published_results_version_unique_per_audit",
    )
    unnoted = _copy(version, version=2, superseded_at=version.published_at)
    assert_violates(unnoted.save, "published_results_correction_has_note")
    assert full_clean_errors(unnoted)["correction_note"] == ["Say what the correction changed."]
