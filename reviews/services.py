from collections.abc import Mapping
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from forces.models import Force
from reviews.models import Audit, AuditCategory, CancellationDecision, CrimeRecord


@transaction.atomic
def decision_record(
    *,
    force: Force,
    reference: str,
    offence_category: str,
    recorded_on: date,
    outcome: str,
    criterion: str,
    decided_on: date,
    authoriser_role: str,
    offence_code: str = "",
    receiving_force: Force | None = None,
    rationale: str = "",
) -> CancellationDecision:
    """Record a crime and the decision that removed it, both checked before either is saved.

    Raises `ValidationError` with a message per field (a reference the force already used, a
    criterion that does not fit the outcome, a decision dated before the crime was recorded...).
    """
    record = CrimeRecord(
        force=force,
        reference=reference,
        offence_category=offence_category,
        offence_code=offence_code,
        recorded_on=recorded_on,
    )
    record.full_clean()
    record.save()
    decision = CancellationDecision(
        crime_record=record,
        outcome=outcome,
        criterion=criterion,
        decided_on=decided_on,
        authoriser_role=authoriser_role,
        receiving_force=receiving_force,
        rationale=rationale,
    )
    decision.full_clean()
    decision.save()
    return decision


@transaction.atomic
def audit_create(
    *,
    force: Force,
    name: str,
    period_start: date,
    period_end: date,
    categories: Mapping[str, int],
    created_by=None,
    seed: int | None = None,
    recording_grade: str = "",
) -> Audit:
    """Plan an audit of `force`'s decisions between two dates, sampling `categories` ({category: sample size}).

    Raises `ValidationError` for an empty category list, an unknown category, a sample size under 1,
    a period that ends before it starts, or a name the force's audits already use.
    """
    if not categories:
        raise ValidationError({"categories": "Choose at least one offence category to sample."})
    audit = Audit(
        force=force,
        name=name,
        period_start=period_start,
        period_end=period_end,
        created_by=created_by,
        seed=seed,
        recording_grade=recording_grade,
    )
    audit.full_clean()
    audit.save()
    for category, sample_size in categories.items():
        audit_category = AuditCategory(audit=audit, offence_category=category, sample_size=sample_size)
        audit_category.full_clean()
        audit_category.save()
    return audit
