"""Builders of reviewed audits with exact figures, for the summary page tests."""

from datetime import UTC, date, datetime

from accounts.roles import Role
from reviews.models import (
    Audit,
    AuditCategory,
    AuditStatus,
    IncorrectReason,
    NoNeedToInformReason,
    ReviewKind,
    ReviewStatus,
    Verdict,
    VictimInformed,
)
from tests.factories import AuditFactory, ReviewFactory, UserFactory, force, sign_off


def auditor():
    return UserFactory(username="summary-auditor", role=Role.AUDITOR)


def audit(code: str, name: str, *, signed_off=True, period_end=date(2026, 3, 31), grade="", categories=()):
    """An audit of force `code`, signed off (by a supervisor, on 1 June 2026) unless `signed_off` is False."""
    supervisor = UserFactory(username="summary-supervisor", role=Role.SUPERVISOR)
    result = AuditFactory(
        force=force(code),
        name=name,
        period_start=date(period_end.year - 1, period_end.month, 1),
        period_end=period_end,
        recording_grade=grade,
        in_progress=True,
    )
    if signed_off:
        sign_off(result, by=supervisor, at=datetime(2026, 6, 1, 9, 30, tzinfo=UTC))
    for category in categories:
        AuditCategory.objects.create(audit=result, offence_category=category, sample_size=20)
    return result


def reviews(
    audit,
    category,
    *,
    correct=0,
    incorrect=0,
    cannot_tell=0,
    told=0,
    not_told=0,
    no_record=0,
    status=ReviewStatus.APPROVED,
    kind=ReviewKind.PRIMARY,
    criterion="C2",
    reason=IncorrectReason.AVI_NOT_VERIFIABLE,
):
    """Reviews of `audit` in `category` with these verdicts. The first reviews' victims should have been told
    (`told` were, `not_told` were not, `no_record` have no auditable record); the rest needed no telling."""
    verdicts = [Verdict.NO] * incorrect + [Verdict.YES] * correct + [Verdict.CANNOT_TELL] * cannot_tell
    victims = [VictimInformed.NO] * not_told + [VictimInformed.NO_RECORD] * no_record + [VictimInformed.YES] * told
    assert len(victims) <= len(verdicts), "more victims than reviews"
    # A signed-off audit refuses new reviews, so the builder writes them as if before the sign-off.
    signed_off = audit.status == AuditStatus.SIGNED_OFF
    if signed_off:
        Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.IN_PROGRESS, signed_off_by=None, signed_off_at=None)
    try:
        return _reviews(
            audit, category, verdicts, victims, status=status, kind=kind, criterion=criterion, reason=reason
        )
    finally:
        if signed_off:
            Audit.objects.filter(pk=audit.pk).update(
                status=AuditStatus.SIGNED_OFF, signed_off_by=audit.signed_off_by, signed_off_at=audit.signed_off_at
            )


def _reviews(audit, category, verdicts, victims, *, status, kind, criterion, reason):
    made = []
    by = auditor()
    for number, verdict in enumerate(verdicts):
        informed = victims[number] if number < len(victims) else ""
        made.append(
            ReviewFactory(
                audit=audit,
                auditor=by,
                kind=kind,
                status=status,
                decision__crime_record__offence_category=category,
                decision__criterion=criterion,
                decision__outcome="transferred" if criterion == "C1" else "cancelled",
                decision__receiving_force=force("kent" if audit.force.code != "kent" else "essex")
                if criterion == "C1"
                else None,
                decision_correct=verdict,
                incorrect_reason=reason if verdict == Verdict.NO else "",
                notes="Judged from the record." if verdict == Verdict.NO else "",
                victim_should_be_informed=bool(informed),
                victim_informed=informed,
                no_need_to_inform_reason="" if informed else NoNeedToInformReason.NO_IDENTIFIABLE_VICTIM,
            )
        )
    return made


def publish_signed_off():
    """Publish every signed-off audit not yet published, as a supervisor does once the figures are final: the
    national page and the force contacts read published results only."""
    from reviews.results.publishing import audit_publish, publication_state

    supervisor = UserFactory(username="summary-supervisor", role=Role.SUPERVISOR)
    for each in Audit.objects.signed_off():
        if publication_state(each)[1]:
            audit_publish(audit=each, by=supervisor)
