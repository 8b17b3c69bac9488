"""factory_boy factories. Forces come from the data migration: factories pick them by code."""

from datetime import date

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from forces.models import Force
from reviews.models import (
    Action,
    ActionKind,
    Audit,
    AuditCategory,
    AuditStatus,
    AuthoriserRole,
    CancellationDecision,
    CrimeRecord,
    Criterion,
    Disagreement,
    KnownAnswerItem,
    OffenceCategory,
    Outcome,
    Review,
    ReviewKind,
)


def force(code: str = "northamptonshire") -> Force:
    return Force.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted: Role | None, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class CrimeRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CrimeRecord

    force = factory.LazyFunction(force)
    reference = factory.Sequence(lambda n: f"CR/26/{n:06d}")
    offence_category = OffenceCategory.VIOLENCE
    offence_code = "8N"
    recorded_on = date(2026, 1, 10)


class DecisionFactory(factory.django.DjangoModelFactory):
    """A C2 cancellation by default; `transfer=True` makes a C1 transfer to Kent."""

    class Meta:
        model = CancellationDecision

    class Params:
        transfer = factory.Trait(
            criterion=Criterion.C1,
            outcome=Outcome.TRANSFERRED,
            receiving_force=factory.LazyFunction(lambda: force("kent")),
        )

    crime_record = factory.SubFactory(CrimeRecordFactory)
    outcome = Outcome.CANCELLED
    criterion = Criterion.C2
    decided_on = date(2026, 2, 1)
    authoriser_role = AuthoriserRole.DDM
    receiving_force = None
    rationale = "Body-worn video shows no offence took place."


class AuditFactory(factory.django.DjangoModelFactory):
    """An audit being planned; `in_progress=True` or `signed_off=True` (by a supervisor, just now) for the others.
    An audit that needs its reviews first is made open, given them, then passed to `sign_off`."""

    class Meta:
        model = Audit

    class Params:
        in_progress = factory.Trait(status=AuditStatus.IN_PROGRESS)
        signed_off = factory.Trait(
            status=AuditStatus.SIGNED_OFF,
            signed_off_by=factory.SubFactory(UserFactory, role=Role.SUPERVISOR),
            signed_off_at=factory.LazyFunction(timezone.now),
        )

    force = factory.LazyFunction(force)
    name = factory.Sequence(lambda n: f"Audit {n}")
    period_start = date(2026, 1, 1)
    period_end = date(2026, 3, 31)
    seed = 1234


class AuditCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditCategory

    audit = factory.SubFactory(AuditFactory)
    offence_category = OffenceCategory.VIOLENCE
    sample_size = 20


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    audit = factory.SubFactory(AuditFactory)
    decision = factory.SubFactory(DecisionFactory, crime_record__force=factory.SelfAttribute("...audit.force"))
    auditor = factory.SubFactory(UserFactory, role=Role.AUDITOR)
    kind = ReviewKind.PRIMARY
    # A second review reviews the same decision as a primary review (not started) by another auditor.
    primary_review = factory.Maybe(
        factory.LazyAttribute(lambda review: review.kind == ReviewKind.SECOND),
        yes_declaration=factory.SubFactory(
            "tests.factories.ReviewFactory",
            audit=factory.SelfAttribute("..audit"),
            decision=factory.SelfAttribute("..decision"),
            kind=ReviewKind.PRIMARY,
        ),
        no_declaration=None,
    )


def sign_off(audit: Audit, *, by, at=None) -> Audit:
    """Mark `audit`, its reviews in place, as signed off by `by` (now, or `at`), as the sign-off page leaves it but
    without its checks, so a test can lock any audit it has built."""
    audit.status, audit.signed_off_by, audit.signed_off_at = AuditStatus.SIGNED_OFF, by, at or timezone.now()
    audit.save()
    return audit


def sampled_audit(
    *, name: str, sizes: dict, seed: int = 1, auditors=(), by=None, start=date(2026, 1, 1), end=date(2026, 3, 31)
) -> Audit:
    """A Northamptonshire audit planned, drawn and (when `auditors` are given) assigned through the services,
    as the pages do it. `sizes` is {offence category: sample size}."""
    from reviews.workflow.planning import audit_plan
    from reviews.workflow.services import audit_assign_evenly

    audit, _ = audit_plan(
        force=force(), name=name, period_start=start, period_end=end, categories=sizes, seed=seed, by=by
    )
    if auditors:
        audit_assign_evenly(audit=audit, auditors=list(auditors), by=by)
    return audit


class KnownAnswerItemFactory(factory.django.DjangoModelFactory):
    """A decision of the audit's force, in its period, whose verdict is settled as correct."""

    class Meta:
        model = KnownAnswerItem

    audit = factory.SubFactory(AuditFactory)
    decision = factory.SubFactory(DecisionFactory, crime_record__force=factory.SelfAttribute("...audit.force"))
    decision_correct = "yes"
    source = "Settled at the 2025 inspection."
    added_by = factory.SubFactory(UserFactory, role=Role.SUPERVISOR)


class DisagreementFactory(factory.django.DjangoModelFactory):
    """An unresolved disagreement: the primary review said the decision was correct, the blind second
    review (by another auditor) that it was not. Both submitted."""

    class Meta:
        model = Disagreement

    audit = factory.SubFactory(AuditFactory, status="in_progress")
    second_review = factory.SubFactory(
        ReviewFactory,
        audit=factory.SelfAttribute("..audit"),
        kind=ReviewKind.SECOND,
        status="submitted",
        decision_correct="no",
        incorrect_reason="other",
        notes="Second opinion.",
        victim_should_be_informed=False,
        no_need_to_inform_reason="other",
        primary_review__status="submitted",
        primary_review__decision_correct="yes",
        primary_review__victim_should_be_informed=False,
        primary_review__no_need_to_inform_reason="other",
    )
    primary_review = factory.SelfAttribute("second_review.primary_review")
    decision = factory.SelfAttribute("second_review.decision")
    decision_correct_differs = True


class ActionFactory(factory.django.DjangoModelFactory):
    """An open "reconsider the decision" action of a signed-off audit, due 1 June 2026."""

    class Meta:
        model = Action

    audit = factory.SubFactory(AuditFactory, signed_off=True)
    decision = factory.SubFactory(DecisionFactory, crime_record__force=factory.SelfAttribute("...audit.force"))
    kind = ActionKind.RECONSIDER
    due_on = date(2026, 6, 1)
