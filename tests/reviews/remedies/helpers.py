"""Audits signed off through the services with chosen verdicts, so their actions are raised as in the service."""

from reviews.models import IncorrectReason, OffenceCategory, Review, ReviewKind, Verdict, VictimInformed
from reviews.workflow.services import audit_approve_submitted, audit_sign_off, review_save
from tests.factories import DecisionFactory, sampled_audit

CORRECT_TOLD = {
    "decision_correct": Verdict.YES,
    "incorrect_reason": "",
    "victim_should_be_informed": True,
    "victim_informed": VictimInformed.YES,
    "no_need_to_inform_reason": "",
    "notes": "",
}
INCORRECT_TOLD = {
    **CORRECT_TOLD,
    "decision_correct": Verdict.NO,
    "incorrect_reason": IncorrectReason.SHOULD_STAY_RECORDED,
    "notes": "The crime should have stayed recorded.",
}
INCORRECT_NOT_TOLD = {**INCORRECT_TOLD, "victim_informed": VictimInformed.NO}
CORRECT_NO_RECORD = {**CORRECT_TOLD, "victim_informed": VictimInformed.NO_RECORD}

# Two incorrect decisions and two victims not told, one of them on an incorrect decision: 2 + 2 actions.
FINDINGS = [INCORRECT_NOT_TOLD, INCORRECT_TOLD, CORRECT_NO_RECORD, CORRECT_TOLD, CORRECT_TOLD]


def submit(review: Review, answers: dict) -> Review:
    review.refresh_from_db()
    return review_save(review=review, by=review.auditor, answers=answers, version=review.version, submit=True)


def primaries(audit) -> list[Review]:
    return list(audit.reviews.filter(kind=ReviewKind.PRIMARY).order_by("sample_position"))


def signed_off_audit(*, supervisor, auditor, verdicts=FINDINGS, name="Remedies", prefix="NH/REM"):
    """A Northamptonshire audit whose sampled violence decisions get `verdicts` in sample order, approved and
    signed off through the services."""
    for number in range(len(verdicts)):
        DecisionFactory(
            crime_record__reference=f"{prefix}/{number:04d}", crime_record__offence_category=OffenceCategory.VIOLENCE
        )
    audit = sampled_audit(
        name=name, sizes={OffenceCategory.VIOLENCE: len(verdicts)}, seed=3, auditors=[auditor], by=supervisor
    )
    for review, answers in zip(primaries(audit), verdicts, strict=True):
        submit(review, answers)
    audit_approve_submitted(audit=audit, by=supervisor)
    return audit_sign_off(audit=audit, by=supervisor)
