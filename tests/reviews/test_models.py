"""Every named database constraint in reviews/models.py, checked twice.

1. The database refuses a row that breaks the rule, even when `clean()` is never called.
2. `full_clean()` refuses the same object, with the message a user would read on the right field.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from accounts.roles import Role
from reviews.models import (
    ActionKind,
    ActionOutcome,
    ActionStatus,
    AuditStatus,
    CancellationDecision,
    CrimeRecord,
    Criterion,
    Disagreement,
    ImportJob,
    ImportKind,
    IncorrectReason,
    NoNeedToInformReason,
    OpenDataFile,
    OpenDataRelease,
    Outcome,
    PublishedResults,
    ReminderSent,
    ReviewKind,
    ReviewStatus,
    Verdict,
    VictimInformed,
)
from reviews.results.publishing import audit_publish
from tests.factories import (
    ActionFactory,
    AuditCategoryFactory,
    AuditFactory,
    CrimeRecordFactory,
    DecisionFactory,
    KnownAnswerItemFactory,
    ReviewFactory,
    UserFactory,
    force,
)

pytestmark = pytest.mark.django_db

# Every named constraint of the reviews app, by name: (model, constraint).
CONSTRAINTS = {
    constraint.name: (model, constraint)
    for model in apps.get_app_config("reviews").get_models()
    for constraint in model._meta.constraints
}


def names_constraint(message: str, name: str) -> bool:
    """Whether the database's error message names constraint `name` (or, on SQLite, its unique columns)."""
    model, constraint = CONSTRAINTS[name]
    if connection.vendor == "postgresql":
        return f'constraint "{name}"' in message
    if connection.vendor == "sqlite":
        if isinstance(constraint, models.UniqueConstraint):
            # SQLite names a unique violation's columns, not the constraint.
            table = model._meta.db_table
            columns = ", ".join(f"{table}.{model._meta.get_field(field).column}" for field in constraint.fields)
            return message == f"UNIQUE constraint failed: {columns}"
        return message == f"CHECK constraint failed: {name}"
    return name in message


def assert_violates(save: Callable[[], object], *names: str) -> None:
    """`save()` raises IntegrityError naming one of `names`; the savepoint keeps the test's transaction usable."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        save()
    message = str(excinfo.value)
    assert any(names_constraint(message, name) for name in names), message


def full_clean_errors(obj: models.Model) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        obj.full_clean()
    return excinfo.value.message_dict


def changed(obj: models.Model, **changes) -> models.Model:
    for name, value in changes.items():
        setattr(obj, name, value)
    return obj


# --- Broken objects, one or more per rule constraint -----------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    make: Callable[[], models.Model]  # builds a valid object through the factories, then breaks it, unsaved
    constraint: str  # the constraint the database names
    errors: dict[str, list[str]]  # what full_clean() reports
    variant: str = ""  # tells apart several ways of breaking the same constraint

    def __str__(self) -> str:
        return f"{self.constraint}-{self.variant}" if self.variant else self.constraint


def a_check():
    return ImportJob.objects.create(kind=ImportKind.DECISIONS, created_by=UserFactory(), file_name="decisions.csv")


def a_second_file_of_the_same_name():
    release = OpenDataRelease.objects.create(number=1, created_at=timezone.now(), published_state="none")
    fields = {"name": "forces.csv", "title": "Forces", "media_type": "text/csv", "content": b"x", "size": 1}
    OpenDataFile.objects.create(release=release, sha256="0" * 64, **fields)
    return OpenDataFile(release=release, sha256="1" * 64, **fields)


def duplicate_crime_reference():
    return CrimeRecordFactory.build(reference=CrimeRecordFactory().reference)


def transfer_to_own_force():
    decision = DecisionFactory(transfer=True)
    return changed(decision, receiving_force=decision.crime_record.force)


def duplicate_audit_name():
    return AuditFactory.build(name=AuditFactory().name)


def duplicate_audit_category():
    return AuditCategoryFactory.build(audit=AuditCategoryFactory().audit)


def second_primary_review():
    review = ReviewFactory()
    return ReviewFactory.build(audit=review.audit, decision=review.decision, auditor=review.auditor)


def submitted_review(**answers):
    """A valid submitted review with every answer given: the victim should have been informed, and was."""
    values = {
        "status": ReviewStatus.SUBMITTED,
        "decision_correct": Verdict.YES,
        "victim_should_be_informed": True,
        "victim_informed": VictimInformed.YES,
        "submitted_at": timezone.now(),
    } | answers
    return ReviewFactory(**values)


def second_final_verdict():
    final = ReviewFactory(kind=ReviewKind.FINAL)
    return ReviewFactory.build(audit=final.audit, decision=final.decision, auditor=final.auditor, kind=ReviewKind.FINAL)


def disagreement(**values):
    second = ReviewFactory(kind=ReviewKind.SECOND)
    primary = second.primary_review
    values = {"decision_correct_differs": True} | values
    return Disagreement(
        audit=primary.audit, decision=primary.decision, primary_review=primary, second_review=second, **values
    )


def resolved_disagreement(**values):
    item = disagreement()
    final = ReviewFactory(audit=item.audit, decision=item.decision, kind=ReviewKind.FINAL)
    values = {"final_review": final, "resolved_by": final.auditor, "resolved_at": timezone.now(), "reason": "Why"}
    return changed(item, **values)


def duplicate_known_answer():
    item = KnownAnswerItemFactory()
    return KnownAnswerItemFactory.build(audit=item.audit, decision=item.decision, added_by=item.added_by)


def duplicate_action():
    action = ActionFactory()
    return ActionFactory.build(audit=action.audit, decision=action.decision, kind=action.kind)


def duplicate_reminder():
    sent = ReminderSent.objects.create(user=UserFactory(), sent_on=date(2026, 5, 1))
    return ReminderSent(user=sent.user, sent_on=sent.sent_on)


def published_copy(*, superseded=True, **changes) -> PublishedResults:
    """An unsaved copy of a signed-off audit's published version 1, with `changes`; marked superseded unless
    `superseded` is False, so that it breaks only the rule it is built to break."""
    published = audit_publish(audit=AuditFactory(signed_off=True), by=UserFactory(role=Role.SUPERVISOR))
    fields = {field.name: getattr(published, field.name) for field in PublishedResults._meta.concrete_fields}
    fields.pop("id")
    fields["superseded_at"] = published.published_at if superseded else None
    return PublishedResults(**{**fields, **changes})


BROKEN = [
    # CrimeRecord
    Broken(
        duplicate_crime_reference,
        "crime_record_reference_unique_per_force",
        {NON_FIELD_ERRORS: ["This force already has a crime with this reference."]},
    ),
    Broken(
        lambda: changed(CrimeRecordFactory(), reference=""),
        "crime_record_reference_not_blank",
        {"reference": ["Enter the force's crime reference."]},
    ),
    # CancellationDecision
    Broken(
        lambda: changed(DecisionFactory(transfer=True), criterion=Criterion.C2),
        "decision_c1_iff_transferred",
        {"criterion": ['Outcome "transferred" needs criterion C1.']},
        variant="transferred_with_C2",
    ),
    Broken(
        lambda: changed(DecisionFactory(), criterion=Criterion.C1),
        "decision_c1_iff_transferred",
        {"criterion": ['Criterion C1 is a transfer: outcome "cancelled" needs criterion C2, C3, C4 or C5.']},
        variant="cancelled_with_C1",
    ),
    Broken(
        lambda: changed(DecisionFactory(transfer=True), receiving_force=None),
        "decision_receiving_force_iff_transferred",
        {"receiving_force": ["A transfer needs the force that received it."]},
        variant="transfer_without",
    ),
    Broken(
        lambda: changed(DecisionFactory(), receiving_force=force("kent")),
        "decision_receiving_force_iff_transferred",
        {"receiving_force": ["Only a transfer has a receiving force; leave it blank for a cancellation."]},
        variant="cancellation_with",
    ),
    Broken(
        transfer_to_own_force,
        "decision_receiving_force_not_recording_force",
        {"receiving_force": ["A force cannot transfer a crime to itself."]},
    ),
    Broken(
        lambda: changed(DecisionFactory(), decided_on=date(2026, 1, 9)),
        "decision_decided_on_or_after_recorded",
        {"decided_on": ["The decision cannot come before the crime was recorded (10/01/2026)."]},
    ),
    # Audit
    Broken(
        duplicate_audit_name,
        "audit_name_unique_per_force",
        {NON_FIELD_ERRORS: ["This force already has an audit with this name."]},
    ),
    Broken(
        lambda: changed(AuditFactory(), period_end=date(2025, 12, 31)),
        "audit_period_end_on_or_after_start",
        {"period_end": ["The period must end on or after the day it starts."]},
    ),
    Broken(
        lambda: changed(AuditFactory(), status=AuditStatus.SIGNED_OFF),
        "audit_signed_off_iff_sign_off_recorded",
        {"status": ["An audit is signed off only with who signed it off and when."]},
        variant="signed_off_without_sign_off",
    ),
    Broken(
        lambda: changed(AuditFactory(), status=AuditStatus.SIGNED_OFF, signed_off_at=timezone.now()),
        "audit_signed_off_iff_sign_off_recorded",
        {"status": ["An audit is signed off only with who signed it off and when."]},
        variant="signed_off_without_who",
    ),
    Broken(
        lambda: changed(AuditFactory(), status=AuditStatus.SIGNED_OFF, signed_off_by=UserFactory()),
        "audit_signed_off_iff_sign_off_recorded",
        {"status": ["An audit is signed off only with who signed it off and when."]},
        variant="signed_off_without_when",
    ),
    Broken(
        lambda: changed(AuditFactory(status=AuditStatus.IN_PROGRESS), signed_off_at=timezone.now()),
        "audit_signed_off_iff_sign_off_recorded",
        {"status": ["Only a signed-off audit has a sign-off date."]},
        variant="sign_off_date_while_in_progress",
    ),
    # AuditCategory
    Broken(
        duplicate_audit_category,
        "audit_category_unique",
        {NON_FIELD_ERRORS: ["Audit category with this Audit and Offence category already exists."]},
    ),
    Broken(
        lambda: changed(AuditCategoryFactory(), sample_size=0),
        "audit_category_sample_size_positive",
        {"sample_size": ["Sample at least one decision."]},
    ),
    # Review
    Broken(
        second_primary_review,
        "review_one_primary_per_decision_per_audit",
        {NON_FIELD_ERRORS: ["This decision is already in the audit's sample."]},
    ),
    Broken(
        lambda: changed(ReviewFactory(decision_correct=Verdict.YES), incorrect_reason=IncorrectReason.OTHER),
        "review_reason_only_when_incorrect",
        {"incorrect_reason": ["Give a reason only when the decision was incorrect."]},
        variant="correct",
    ),
    Broken(
        lambda: changed(ReviewFactory(), incorrect_reason=IncorrectReason.OTHER),
        "review_reason_only_when_incorrect",
        {"incorrect_reason": ["Give a reason only when the decision was incorrect."]},
        variant="unanswered",
    ),
    Broken(
        lambda: changed(submitted_review(), decision_correct=Verdict.NO, notes="The video shows a push."),
        "review_reason_required_when_incorrect",
        {"incorrect_reason": ["Select why the decision was incorrect."]},
    ),
    Broken(
        lambda: changed(ReviewFactory(victim_should_be_informed=False), victim_informed=VictimInformed.YES),
        "review_victim_informed_only_when_should_be",
        {"victim_informed": ["Say whether the victim was informed only when they should have been."]},
    ),
    Broken(
        lambda: changed(submitted_review(), victim_informed=""),
        "review_victim_informed_required_when_should_be",
        {"victim_informed": ["Select whether the victim was informed."]},
    ),
    Broken(
        lambda: changed(
            ReviewFactory(victim_should_be_informed=True), no_need_to_inform_reason=NoNeedToInformReason.OTHER
        ),
        "review_no_need_reason_only_when_not_needed",
        {"no_need_to_inform_reason": ["Give a reason only when the victim did not need to be informed."]},
    ),
    Broken(
        lambda: changed(submitted_review(), victim_should_be_informed=False, victim_informed=""),
        "review_no_need_reason_required_when_not_needed",
        {"no_need_to_inform_reason": ["Select why the victim did not need to be informed."]},
    ),
    Broken(
        lambda: changed(submitted_review(), decision_correct=""),
        "review_finished_is_complete",
        {"decision_correct": ["Select whether the decision was correct."]},
        variant="no_verdict",
    ),
    Broken(
        lambda: changed(submitted_review(), victim_should_be_informed=None, victim_informed=""),
        "review_finished_is_complete",
        {"victim_should_be_informed": ["Select whether the victim should have been informed."]},
        variant="no_should_be_informed",
    ),
    Broken(
        lambda: changed(submitted_review(status=ReviewStatus.APPROVED), auditor=None),
        "review_finished_is_complete",
        {"auditor": ["A submitted review needs the auditor who made it."]},
        variant="approved_without_auditor",
    ),
    Broken(
        second_final_verdict,
        "review_one_final_verdict_per_decision_per_audit",
        {NON_FIELD_ERRORS: ["This decision already has a final verdict in the audit."]},
    ),
    Broken(
        lambda: changed(ReviewFactory(kind=ReviewKind.SECOND), primary_review=None),
        "review_second_iff_primary_review",
        {"kind": ["A second review needs the primary review it checks."]},
        variant="second_without_primary",
    ),
    Broken(
        lambda: changed(ReviewFactory(kind=ReviewKind.SECOND), kind=ReviewKind.PRIMARY),
        "review_second_iff_primary_review",
        {"kind": ["Only a second review checks a primary review."]},
        variant="primary_with_primary",
    ),
    Broken(
        lambda: changed(ReviewFactory(), first_decision_correct=Verdict.YES),
        "review_first_answers_only_once_submitted",
        {"first_submitted_at": ["Only a review submitted at least once has first submitted answers."]},
    ),
    # Audit settings added for quality assurance
    Broken(
        lambda: changed(AuditFactory(), second_review_share=101),
        "audit_second_review_share_0_to_100",
        {"second_review_share": ["The second review share must be a whole number from 0 to 100."]},
    ),
    # Disagreement
    Broken(
        lambda: disagreement(decision_correct_differs=False),
        "disagreement_differs_on_something",
        {"decision_correct_differs": ["A disagreement differs on whether the decision or victim was right."]},
    ),
    Broken(
        lambda: changed(resolved_disagreement(), reason=""),
        "disagreement_resolved_iff_final_verdict_and_reason",
        {"reason": ["Explain why this is the final verdict."]},
        variant="without_reason",
    ),
    Broken(
        lambda: changed(resolved_disagreement(), final_review=None),
        "disagreement_resolved_iff_final_verdict_and_reason",
        {"resolved_at": ["A resolved disagreement has its final verdict, who resolved it and when."]},
        variant="without_final_verdict",
    ),
    Broken(
        lambda: changed(disagreement(), closed_at=timezone.now()),
        "disagreement_closed_with_reason_and_unsettled",
        {"closed_at": ["A closed disagreement has the date it was closed and why."]},
        variant="without_reason",
    ),
    Broken(
        lambda: changed(resolved_disagreement(), closed_at=timezone.now(), closed_reason="The reviews now agree."),
        "disagreement_closed_with_reason_and_unsettled",
        {"closed_at": ["A disagreement settled with a final verdict cannot also be closed."]},
        variant="settled",
    ),
    # PublishedResults
    Broken(
        lambda: published_copy(version=2, correction_note="Corrected", superseded=False),
        "published_results_one_current_per_audit",
        {NON_FIELD_ERRORS: ["The audit already has a current published version."]},
    ),
    Broken(
        lambda: published_copy(version=1),
        "published_results_version_unique_per_audit",
        {NON_FIELD_ERRORS: ["This version of the audit's results is already published."]},
    ),
    Broken(
        lambda: published_copy(version=0, correction_note="Corrected"),
        "published_results_version_from_1",
        {"version": ["Versions are numbered from 1."]},
    ),
    Broken(
        lambda: published_copy(version=2, correction_note=""),
        "published_results_correction_has_note",
        {"correction_note": ["Say what the correction changed."]},
    ),
    # KnownAnswerItem
    Broken(
        duplicate_known_answer,
        "known_answer_unique_per_audit",
        {NON_FIELD_ERRORS: ["This decision is already a known-answer item of the audit."]},
    ),
    # Action
    Broken(
        duplicate_action,
        "action_one_per_finding",
        {NON_FIELD_ERRORS: ["This finding already has its action."]},
    ),
    Broken(
        lambda: changed(ActionFactory(), outcome=ActionOutcome.VICTIM_TOLD, victim_told_on=date(2026, 5, 1)),
        "action_outcome_fits_kind",
        {"outcome": ["Choose one of the outcomes for this kind of action."]},
    ),
    Broken(
        lambda: changed(ActionFactory(), status=ActionStatus.OUTCOME_RECORDED),
        "action_outcome_recorded_with_who",
        {"outcome": ["Record the outcome, and who recorded it."]},
    ),
    Broken(
        lambda: changed(ActionFactory(kind=ActionKind.TELL_VICTIM), outcome=ActionOutcome.VICTIM_TOLD),
        "action_victim_told_on_iff_told",
        {"victim_told_on": ["Enter the date the victim was told."]},
        variant="told_without_date",
    ),
    Broken(
        lambda: changed(ActionFactory(kind=ActionKind.TELL_VICTIM), victim_told_on=date(2026, 5, 1)),
        "action_victim_told_on_iff_told",
        {"victim_told_on": ["Give a date only when the victim was told."]},
        variant="date_without_told",
    ),
    Broken(
        lambda: changed(ActionFactory(), outcome=ActionOutcome.OTHER),
        "action_outcome_details_required",
        {"outcome_details": ["Describe what was done."]},
    ),
    Broken(
        lambda: changed(
            ActionFactory(),
            status=ActionStatus.PUT_RIGHT,
            outcome=ActionOutcome.CRIME_REINSTATED,
            outcome_by=UserFactory(),
        ),
        "action_put_right_iff_accepted",
        {"status": ["An action is put right only when a supervisor accepts its outcome."]},
    ),
    # ReminderSent
    Broken(
        duplicate_reminder,
        "reminder_one_per_person_per_day",
        {NON_FIELD_ERRORS: ["This person has already been sent a reminder that day."]},
    ),
    # ImportJob
    Broken(
        lambda: ImportJob(
            kind=ImportKind.DECISIONS,
            check_only=True,
            checked_by=a_check(),
            created_by=UserFactory(),
            file_name="decisions.csv",
        ),
        "import_job_follows_a_check_only_to_import",
        {NON_FIELD_ERRORS: ["Only an import follows a check."]},
    ),
    # OpenDataRelease and its files
    Broken(
        a_second_file_of_the_same_name,
        "open_data_file_name_unique_per_release",
        {NON_FIELD_ERRORS: ["The release already has a file of this name."]},
    ),
    Broken(
        lambda: OpenDataRelease(number=0, created_at=timezone.now(), published_state="none"),
        "open_data_release_number_from_1",
        {NON_FIELD_ERRORS: ["A release is numbered from 1."]},
    ),
]


@pytest.mark.parametrize("broken", BROKEN, ids=str)
def test_database_refuses(broken):
    obj = broken.make()
    assert_violates(obj.save, broken.constraint)


@pytest.mark.parametrize("broken", BROKEN, ids=str)
def test_full_clean_refuses_with_message(broken):
    assert full_clean_errors(broken.make()) == broken.errors


# --- Choice-validity constraints ---------------------------------------------------------------------------------

# (factory, valid answers the bad value needs so it breaks no other rule, field, bad value, constraint names).
# An invalid outcome always breaks the two outcome-pairing rules as well, so the database may name either.
CHOICES = [
    (CrimeRecordFactory, {}, "offence_category", "murder", ("crime_record_offence_category_valid",)),
    (
        DecisionFactory,
        {},
        "outcome",
        "C9",
        ("decision_outcome_valid", "decision_c1_iff_transferred", "decision_receiving_force_iff_transferred"),
    ),
    (DecisionFactory, {}, "criterion", "C9", ("decision_criterion_valid",)),
    (DecisionFactory, {}, "authoriser_role", "chief", ("decision_authoriser_role_valid",)),
    (AuditFactory, {}, "status", "closed", ("audit_status_valid",)),
    (AuditFactory, {}, "recording_grade", "excellent", ("audit_recording_grade_valid",)),
    (AuditCategoryFactory, {}, "offence_category", "murder", ("audit_category_valid",)),
    (ReviewFactory, {}, "kind", "third", ("review_kind_valid",)),
    (
        ReviewFactory,
        {"decision_correct": Verdict.YES, "victim_should_be_informed": True, "victim_informed": VictimInformed.YES},
        "status",
        "C9",
        ("review_status_valid",),
    ),
    (ReviewFactory, {}, "decision_correct", "maybe", ("review_decision_correct_valid",)),
    (
        ReviewFactory,
        {"decision_correct": Verdict.NO},
        "incorrect_reason",
        "bad_luck",
        ("review_incorrect_reason_valid",),
    ),
    (
        ReviewFactory,
        {"victim_should_be_informed": False},
        "no_need_to_inform_reason",
        "busy",
        ("review_no_need_to_inform_reason_valid",),
    ),
    (ReviewFactory, {"victim_should_be_informed": True}, "victim_informed", "maybe", ("review_victim_informed_valid",)),
    (
        ReviewFactory,
        {"first_submitted_at": timezone.now()},
        "first_decision_correct",
        "maybe",
        ("review_first_decision_correct_valid",),
    ),
    (
        ReviewFactory,
        {"first_submitted_at": timezone.now()},
        "first_victim_informed",
        "maybe",
        ("review_first_victim_informed_valid",),
    ),
    (KnownAnswerItemFactory, {}, "decision_correct", "perhaps", ("known_answer_decision_correct_valid",)),
    (ActionFactory, {}, "kind", "fix", ("action_kind_valid",)),
    (ActionFactory, {}, "status", "closed", ("action_status_valid",)),
]
CHOICE_IDS = [names[0] for *_, names in CHOICES]


@pytest.mark.parametrize(("factory", "answers", "field", "bad_value", "names"), CHOICES, ids=CHOICE_IDS)
def test_database_refuses_invalid_choice(factory, answers, field, bad_value, names):
    obj = changed(factory(**answers), **{field: bad_value})
    assert_violates(obj.save, *names)


@pytest.mark.parametrize(("factory", "answers", "field", "bad_value", "names"), CHOICES, ids=CHOICE_IDS)
def test_full_clean_refuses_invalid_choice(factory, answers, field, bad_value, names):
    obj = changed(factory(**answers), **{field: bad_value})
    assert full_clean_errors(obj) == {field: [f"Value {bad_value!r} is not a valid choice."]}


# --- Every constraint is in the database, and covered above --------------------------------------------------------


def test_every_named_constraint_exists_in_the_database():
    with connection.cursor() as cursor:
        for name, (model, _constraint) in CONSTRAINTS.items():
            assert name in connection.introspection.get_constraints(cursor, model._meta.db_table), name


def test_every_named_constraint_is_tested_both_ways():
    tested = {broken.constraint for broken in BROKEN} | {names[0] for *_, names in CHOICES}
    assert tested == set(CONSTRAINTS)


# --- The database also checks the decision's copies of the crime record's force and date ---------------------------


def test_database_checks_decision_date_against_its_copy_of_recorded_on():
    decision = DecisionFactory()
    assert_violates(
        lambda: CancellationDecision.objects.filter(pk=decision.pk).update(recorded_on=date(2026, 2, 2)),
        "decision_decided_on_or_after_recorded",
    )


def test_database_checks_receiving_force_against_its_copy_of_force():
    decision = DecisionFactory(transfer=True)
    assert_violates(
        lambda: CancellationDecision.objects.filter(pk=decision.pk).update(force=decision.receiving_force),
        "decision_receiving_force_not_recording_force",
    )


# --- What is allowed ------------------------------------------------------------------------------------------------


def test_c1_transfer_with_receiving_force_saves(northamptonshire, kent):
    decision = DecisionFactory.build(crime_record=CrimeRecordFactory(), transfer=True)
    decision.full_clean()
    decision.save()
    decision.refresh_from_db()
    assert (decision.outcome, decision.criterion) == (Outcome.TRANSFERRED, Criterion.C1)
    assert decision.receiving_force == kent
    assert decision.force == northamptonshire
    assert decision.recorded_on == decision.crime_record.recorded_on


@pytest.mark.parametrize("criterion", [Criterion.C2, Criterion.C3, Criterion.C4, Criterion.C5])
def test_cancellation_without_receiving_force_saves(criterion):
    decision = DecisionFactory.build(crime_record=CrimeRecordFactory(), criterion=criterion)
    decision.full_clean()
    decision.save()
    decision.refresh_from_db()
    assert (decision.outcome, decision.criterion, decision.receiving_force) == (Outcome.CANCELLED, criterion, None)


def test_decision_may_be_made_the_day_the_crime_was_recorded():
    record = CrimeRecordFactory()
    decision = DecisionFactory.build(crime_record=record, decided_on=record.recorded_on)
    decision.full_clean()
    decision.save()


def test_full_clean_refuses_whitespace_only_reference_with_the_same_message_as_an_empty_one():
    assert full_clean_errors(CrimeRecordFactory.build(reference="   ")) == {
        "reference": ["Enter the force's crime reference."]
    }


def test_same_crime_reference_in_two_forces_is_allowed(northamptonshire, kent):
    CrimeRecordFactory(force=northamptonshire, reference="CR/26/000001")
    record = CrimeRecordFactory.build(force=kent, reference="CR/26/000001")
    record.full_clean()
    record.save()
    assert record.pk is not None


def test_same_audit_name_in_two_forces_is_allowed(northamptonshire, kent):
    AuditFactory(force=northamptonshire, name="2026 Q1")
    audit = AuditFactory.build(force=kent, name="2026 Q1")
    audit.full_clean()
    audit.save()


def test_signed_off_audit_with_who_and_when_saves():
    audit = changed(
        AuditFactory(), status=AuditStatus.SIGNED_OFF, signed_off_by=UserFactory(), signed_off_at=timezone.now()
    )
    audit.full_clean()
    audit.save()


def test_same_category_in_two_audits_is_allowed():
    category = AuditCategoryFactory()
    other = AuditCategoryFactory.build(audit=AuditFactory(), offence_category=category.offence_category)
    other.full_clean()
    other.save()


def test_unstarted_review_may_be_empty():
    review = ReviewFactory(auditor=None)
    review.full_clean()
    assert review.status == ReviewStatus.TO_DO


def test_draft_review_may_be_incomplete_but_not_once_submitted():
    review = ReviewFactory(status=ReviewStatus.DRAFT, decision_correct=Verdict.NO)
    review.full_clean()

    review.status = ReviewStatus.SUBMITTED
    review.victim_should_be_informed = True
    review.victim_informed = VictimInformed.NO
    assert full_clean_errors(review) == {
        "incorrect_reason": ["Select why the decision was incorrect."],
        "notes": ["Explain in the notes why the decision was incorrect."],
    }
    assert_violates(review.save, "review_reason_required_when_incorrect")


def test_submitted_incorrect_review_needs_notes():
    review = changed(
        submitted_review(), decision_correct=Verdict.NO, incorrect_reason=IncorrectReason.WRONG_CRITERION, notes="  "
    )
    assert full_clean_errors(review) == {"notes": ["Explain in the notes why the decision was incorrect."]}


def test_complete_submitted_review_is_valid():
    submitted_review(
        decision_correct=Verdict.NO,
        incorrect_reason=IncorrectReason.SHOULD_STAY_RECORDED,
        notes="No verifiable information.",
        victim_should_be_informed=False,
        victim_informed="",
        no_need_to_inform_reason=NoNeedToInformReason.NO_IDENTIFIABLE_VICTIM,
    ).full_clean()


def test_review_of_another_forces_decision_fails_full_clean(northamptonshire, kent):
    audit = AuditFactory(force=northamptonshire)
    review = ReviewFactory.build(audit=audit, decision=DecisionFactory(crime_record__force=kent), auditor=UserFactory())
    assert full_clean_errors(review) == {"decision": ["The decision belongs to another force than the audit."]}


@pytest.mark.parametrize("decided_on", [date(2025, 12, 31), date(2026, 4, 1)])
def test_review_of_decision_outside_audit_period_fails_full_clean(decided_on):
    audit = AuditFactory(period_start=date(2026, 1, 1), period_end=date(2026, 3, 31))
    decision = DecisionFactory(crime_record__recorded_on=date(2025, 12, 1), decided_on=decided_on)
    review = ReviewFactory.build(audit=audit, decision=decision, auditor=UserFactory())
    assert full_clean_errors(review) == {"decision": ["The decision was made outside the audit's period."]}


@pytest.mark.parametrize("decided_on", [date(2026, 1, 1), date(2026, 3, 31)])
def test_review_of_decision_on_audit_period_boundary_is_valid(decided_on):
    audit = AuditFactory(period_start=date(2026, 1, 1), period_end=date(2026, 3, 31))
    decision = DecisionFactory(crime_record__recorded_on=date(2025, 12, 1), decided_on=decided_on)
    ReviewFactory.build(audit=audit, decision=decision, auditor=UserFactory()).full_clean()


def test_second_review_of_same_decision_in_same_audit_is_allowed():
    primary = ReviewFactory()
    second = ReviewFactory.build(
        audit=primary.audit,
        decision=primary.decision,
        auditor=UserFactory(),
        kind=ReviewKind.SECOND,
        primary_review=primary,
    )
    second.full_clean()
    second.save()
    assert primary.decision.reviews.count() == 2


def test_a_primary_review_has_one_second_review_at_most():
    primary = ReviewFactory()
    ReviewFactory(audit=primary.audit, decision=primary.decision, kind=ReviewKind.SECOND, primary_review=primary)
    another = ReviewFactory.build(
        audit=primary.audit, decision=primary.decision, auditor=UserFactory(), kind=ReviewKind.SECOND
    )
    another.primary_review = primary
    with pytest.raises(ValidationError):
        another.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        another.save()


def test_second_review_needs_its_primary_review_in_the_database():
    primary = ReviewFactory()
    orphan = ReviewFactory.build(audit=primary.audit, decision=primary.decision, auditor=UserFactory())
    orphan.kind = ReviewKind.SECOND
    with pytest.raises(IntegrityError), transaction.atomic():
        orphan.save()


def test_second_review_by_the_primary_auditor_is_refused_both_ways():
    primary = ReviewFactory()
    same = ReviewFactory.build(
        audit=primary.audit,
        decision=primary.decision,
        auditor=primary.auditor,
        kind=ReviewKind.SECOND,
        primary_review=primary,
    )
    with pytest.raises(ValidationError, match="different auditor"):
        same.full_clean()
    second = ReviewFactory(kind=ReviewKind.SECOND)
    first = second.primary_review
    first.auditor = second.auditor
    with pytest.raises(ValidationError, match="different auditor"):
        first.full_clean()


def test_same_decision_may_be_primary_in_two_audits():
    primary = ReviewFactory()
    other_audit = AuditFactory(force=primary.audit.force)
    review = ReviewFactory.build(audit=other_audit, decision=primary.decision, auditor=primary.auditor)
    review.full_clean()
    review.save()


# --- CrimeRecord keeps its decision's copies in step -------------------------------------------------------------


def test_crime_record_save_updates_decisions_copies(kent):
    decision = DecisionFactory()
    record = decision.crime_record
    record.force = kent
    record.recorded_on = date(2026, 1, 20)
    record.full_clean()
    record.save()
    decision.refresh_from_db()
    assert (decision.force, decision.recorded_on) == (kent, date(2026, 1, 20))


def test_crime_record_may_be_recorded_the_day_of_its_decision():
    decision = DecisionFactory()
    record = changed(decision.crime_record, recorded_on=decision.decided_on)
    record.full_clean()
    record.save()
    decision.refresh_from_db()
    assert decision.recorded_on == decision.decided_on


def test_crime_record_recorded_after_its_decision_is_refused():
    decision = DecisionFactory(decided_on=date(2026, 2, 1))
    record = changed(CrimeRecord.objects.get(pk=decision.crime_record_id), recorded_on=date(2026, 2, 2))
    assert full_clean_errors(record) == {
        "recorded_on": ["The crime cannot be recorded after it was removed (01/02/2026)."]
    }
    assert_violates(record.save, "decision_decided_on_or_after_recorded")


def test_database_refuses_moving_a_transferred_crime_to_its_receiving_force():
    decision = DecisionFactory(transfer=True)
    record = changed(decision.crime_record, force=decision.receiving_force)
    assert_violates(record.save, "decision_receiving_force_not_recording_force")


def test_full_clean_refuses_moving_a_transferred_crime_to_its_receiving_force():
    decision = DecisionFactory(transfer=True)
    record = changed(decision.crime_record, force=decision.receiving_force)
    assert "force" in full_clean_errors(record)


# --- Where the database is looser than clean(): an unanswered "should the victim be informed?" ---------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("victim_informed", VictimInformed.YES), ("no_need_to_inform_reason", NoNeedToInformReason.SAFEGUARDING)],
)
def test_full_clean_refuses_victim_answers_before_should_be_informed(field, value):
    review = changed(ReviewFactory(), **{field: value})
    assert review.victim_should_be_informed is None
    assert field in full_clean_errors(review)


@pytest.mark.parametrize(
    ("field", "value", "name"),
    [
        ("victim_informed", VictimInformed.YES, "review_victim_informed_only_when_should_be"),
        ("no_need_to_inform_reason", NoNeedToInformReason.SAFEGUARDING, "review_no_need_reason_only_when_not_needed"),
    ],
)
def test_database_refuses_victim_answers_before_should_be_informed(field, value, name):
    review = changed(ReviewFactory(), **{field: value})
    assert_violates(review.save, name)
