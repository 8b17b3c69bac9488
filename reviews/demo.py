"""Realistic, deterministic demonstration data: a few forces' cancelled and transferred crimes, two
audits (the signed-off one with its actions in every state) and one user per role. For local use only; nothing
here is real data."""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from forces.models import Force
from reviews.exchange.decisions import decision_record
from reviews.models import (
    Action,
    ActionKind,
    ActionOutcome,
    Audit,
    AuthoriserRole,
    Criterion,
    IncorrectReason,
    NoNeedToInformReason,
    OffenceCategory,
    RecordingGrade,
    Review,
    ReviewKind,
    ReviewStatus,
    Verdict,
    VictimInformed,
)
from reviews.quality.services import audit_set_second_review_share
from reviews.remedies.services import action_accept, action_record_outcome, action_return
from reviews.workflow.planning import audit_create, audit_draw_sample
from reviews.workflow.services import audit_assign_evenly, audit_sign_off, review_approve, review_return, review_save

SEED = 20260401
DEMO_PASSWORD = "review-demo-2026"
DECISIONS_PER_FORCE = 240
PERIOD_START = date(2025, 4, 1)
PERIOD_END = date(2026, 3, 31)

# (force code, reference prefix)
DEMO_FORCES = [
    ("northamptonshire", "NH"),
    ("hampshire", "HC"),
    ("west-yorkshire", "WY"),
    ("kent", "KP"),
    ("dyfed-powys", "DP"),
]

# (force code, signed off?): one audit in progress, one finished.
DEMO_AUDITS = [("northamptonshire", False), ("hampshire", True)]

DEMO_USERS = [
    # username, first name, last name, role, force code (force contacts only)
    ("auditor", "Alex", "Morgan", Role.AUDITOR, None),
    ("auditor2", "Sam", "Okafor", Role.AUDITOR, None),
    ("supervisor", "Priya", "Shah", Role.SUPERVISOR, None),
    ("steward", "Chris", "Evans", Role.DATA_STEWARD, None),
    ("contact", "Jo", "Williams", Role.FORCE_CONTACT, "hampshire"),
]

CATEGORY_WEIGHTS = {
    OffenceCategory.RAPE: 15,
    OffenceCategory.OTHER_SEXUAL: 20,
    OffenceCategory.ROBBERY: 15,
    OffenceCategory.VIOLENCE: 45,
    OffenceCategory.OTHER: 5,
}
OFFENCE_CODES = {
    OffenceCategory.RAPE: ["19C", "19D", "19E", "19F"],
    OffenceCategory.OTHER_SEXUAL: ["17A", "20A", "22B", "23", "88A"],
    OffenceCategory.ROBBERY: ["34A", "34B"],
    OffenceCategory.VIOLENCE: ["8N", "8P", "5D", "105A", "8L"],
    OffenceCategory.OTHER: ["56B", "58A", "45"],
}
CRITERION_WEIGHTS = {Criterion.C1: 15, Criterion.C2: 35, Criterion.C3: 25, Criterion.C4: 18, Criterion.C5: 7}
AUTHORISER_WEIGHTS = {AuthoriserRole.DDM: 80, AuthoriserRole.FCR: 15, AuthoriserRole.OTHER: 5}
RATIONALES = {
    Criterion.C1: [
        "Victim states the incident took place while visiting family in the receiving force area. "
        "Location confirmed by the attending officer's statement; crime transferred.",
        "Offence occurred at the victim's home address, which lies outside the force boundary. "
        "Transferred after confirming the address with the victim by telephone.",
    ],
    Criterion.C2: [
        "CCTV reviewed by the investigating officer shows the property was left behind by the reporting person; "
        "no theft or force used. Reporting person shown the footage and agrees.",
        "Independent witness account and body-worn video show no assault took place. "
        "Reviewed by the DDM against the evidence on file.",
        "Third-party report; the person named as victim was spoken to and states nothing happened. "
        "Account corroborated by school safeguarding lead.",
    ],
    Criterion.C3: [
        "Duplicate of a crime already recorded for the same incident and victim; the original remains recorded.",
        "Part of a course of conduct already recorded as a single crime; this report adds no new offence.",
    ],
    Criterion.C4: [
        "Recorded in error against the wrong incident log; no crime was reported on this occasion.",
        "Created in error during a system migration; the original record remains recorded.",
    ],
    Criterion.C5: [
        "Suspect claimed self-defence; CCTV and two independent witnesses support the account. Reviewed by the DDM.",
    ],
}


@dataclass
class SeedResult:
    forces: int = 0
    decisions: int = 0
    users: int = 0
    audits: int = 0


def _weighted(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def random_decision(rng: random.Random, *, period_start: date, period_end: date, receiving_forces: Sequence) -> dict:
    """One plausible decision's fields (all but force and reference), drawn from `rng` with the published mix
    of categories, criteria and authorisers; transfers go to one of `receiving_forces`. Shared by the demo data
    and the benchmarks, so both describe the same kind of force."""
    category = _weighted(rng, CATEGORY_WEIGHTS)
    criterion = Criterion(_weighted(rng, CRITERION_WEIGHTS))
    decided_on = period_start + timedelta(days=rng.randrange((period_end - period_start).days + 1))
    recorded_on = decided_on - timedelta(days=rng.randrange(0, 60))
    offence_code = rng.choice(OFFENCE_CODES[category])
    authoriser_role = _weighted(rng, AUTHORISER_WEIGHTS)
    return {
        "offence_category": category,
        "offence_code": offence_code,
        "recorded_on": recorded_on,
        "outcome": criterion.outcome,
        "criterion": criterion,
        "decided_on": decided_on,
        "authoriser_role": authoriser_role,
        "receiving_force": rng.choice(receiving_forces) if criterion == Criterion.C1 else None,
        "rationale": rng.choice(RATIONALES[criterion]),
    }


def _decisions_for(force: Force, prefix: str, rng: random.Random, others: list[Force]) -> int:
    """Create the force's demo decisions unless it has them already; returns how many were created."""
    if force.crime_records.filter(reference__startswith=f"{prefix}/").exists():
        return 0
    for number in range(1, DECISIONS_PER_FORCE + 1):
        fields = random_decision(rng, period_start=PERIOD_START, period_end=PERIOD_END, receiving_forces=others)
        decision_record(force=force, reference=f"{prefix}/{fields['recorded_on']:%y}/{number:06d}", **fields)
    return DECISIONS_PER_FORCE


def _users() -> tuple[int, dict[str, User]]:
    created = 0
    users = {}
    for username, first, last, role, force_code in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, first_name=first, last_name=last, email=f"{username}@example.org")
            user.set_password(DEMO_PASSWORD)
            created += 1
        user.is_staff = role == Role.DATA_STEWARD
        user.force = Force.objects.get(code=force_code) if force_code else None
        user.save()
        user.groups.add(Group.objects.get(name=role))
        users[username] = user
    return created, users


def _answers(review: Review, rng: random.Random) -> dict:
    """A plausible verdict; roughly one decision in eight is wrong, as in published audits."""
    answers = dict.fromkeys(Review.ANSWER_FIELDS, "")
    roll = rng.random()
    if roll < 0.12:
        answers["decision_correct"] = Verdict.NO
        answers["incorrect_reason"] = rng.choice(
            [IncorrectReason.AVI_NOT_VERIFIABLE, IncorrectReason.SHOULD_STAY_RECORDED, IncorrectReason.NOT_AUTHORISED]
        )
        answers["notes"] = "The rationale does not show additional verifiable information; the crime should stand."
    elif roll < 0.16:
        answers["decision_correct"] = Verdict.CANNOT_TELL
        answers["notes"] = "The record does not hold enough to judge the decision."
    else:
        answers["decision_correct"] = Verdict.YES
    if review.decision.criterion == Criterion.C3 and rng.random() < 0.5:
        answers["victim_should_be_informed"] = False
        answers["no_need_to_inform_reason"] = NoNeedToInformReason.ALREADY_TOLD
    else:
        answers["victim_should_be_informed"] = True
        informed = rng.random()
        answers["victim_informed"] = (
            VictimInformed.YES
            if informed < 0.85
            else VictimInformed.NO
            if informed < 0.93
            else VictimInformed.NO_RECORD
        )
    return answers


# The in-progress audit cycles through these, so every screen has something to show; "returned" is a
# submitted review the supervisor sent back with a comment.
IN_PROGRESS_STATES = [ReviewStatus.TO_DO, ReviewStatus.DRAFT, ReviewStatus.SUBMITTED, ReviewStatus.APPROVED, "returned"]


def _audit(
    *,
    force: Force,
    name: str,
    rng: random.Random,
    supervisor: User,
    auditors: list[User],
    signed_off: bool,
    contact: User,
) -> int:
    """Plan, draw, assign and work through one audit with the same services the pages use."""
    if Audit.objects.filter(force=force, name=name).exists():
        return 0
    audit = audit_create(
        force=force,
        name=name,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        categories=dict.fromkeys(OffenceCategory.audited(), 5),
        created_by=supervisor,
        seed=rng.randrange(2**31),
        recording_grade=RecordingGrade.GOOD if signed_off else "",
    )
    audit_draw_sample(audit=audit, by=supervisor)
    audit_assign_evenly(audit=audit, auditors=auditors, by=supervisor)
    reviews = (
        audit.reviews.filter(kind=ReviewKind.PRIMARY)
        .select_related("decision", "auditor")
        .order_by("decision__crime_record__offence_category", "sample_position")
    )
    states = [ReviewStatus.APPROVED] if signed_off else IN_PROGRESS_STATES
    for index, review in enumerate(reviews):
        state = states[index % len(states)]
        if state == ReviewStatus.TO_DO:
            continue
        if state == ReviewStatus.DRAFT:
            answers, submit = {"decision_correct": Verdict.YES}, False
        else:
            answers, submit = _answers(review, rng), True
        review = review_save(review=review, by=review.auditor, answers=answers, version=review.version, submit=submit)
        if state == ReviewStatus.APPROVED:
            review_approve(review=review, by=supervisor)
        elif state == "returned":
            review_return(review=review, by=supervisor, comment="Check the rationale again against the criterion.")
    if signed_off:
        audit_sign_off(audit=audit, by=supervisor)
        _actions(audit=audit, contact=contact, supervisor=supervisor)
    else:
        _second_reviews(audit=audit, rng=rng, supervisor=supervisor, auditors=auditors)
    return 1


# The signed-off audit's actions cycle through these, so the actions list and the force page show each state.
ACTION_STATES = ["put_right", "waiting", "returned", "overdue", "open"]
DEMO_OUTCOMES = {
    ActionKind.RECONSIDER: (ActionOutcome.CRIME_REINSTATED, ""),
    ActionKind.TELL_VICTIM: (ActionOutcome.COULD_NOT_CONTACT, "Phoned twice (10:00 and 18:30) and wrote once."),
}


def _actions(*, audit: Audit, contact: User, supervisor: User) -> None:
    """Work the signed-off audit's actions through the same services the pages use: some put right, some
    waiting for the supervisor, one returned, one overdue, the rest open."""
    today = timezone.localdate()
    for index, action in enumerate(audit.actions.order_by("kind", "pk")):
        state = ACTION_STATES[index % len(ACTION_STATES)]
        if state == "overdue":
            # The demo audit is signed off today; this one is shown as if its due date had passed.
            Action.objects.filter(pk=action.pk).update(due_on=today - timedelta(days=3))
        if state not in ("put_right", "waiting", "returned"):
            continue
        outcome, details = DEMO_OUTCOMES[ActionKind(action.kind)]
        told_on = today if outcome == ActionOutcome.VICTIM_TOLD else None
        action = action_record_outcome(
            action=action, outcome=outcome, details=details, victim_told_on=told_on, by=contact
        )
        if state == "put_right":
            action_accept(action=action, by=supervisor)
        elif state == "returned":
            action_return(action=action, by=supervisor, comment="Attach the updated crime record.")


# One second review per category of the in-progress audit (10% of 5, rounded up).
DEMO_SECOND_REVIEW_SHARE = 10


def _second_reviews(*, audit: Audit, rng: random.Random, supervisor: User, auditors: list[User]) -> None:
    """Blind second reviews in the in-progress audit: the first one agrees with its primary review, the
    second one does not (a disagreement waiting for the supervisor), the rest are still to do."""
    audit_set_second_review_share(audit=audit, share=DEMO_SECOND_REVIEW_SHARE, by=supervisor)
    audit_assign_evenly(audit=audit, auditors=auditors, by=supervisor)
    seconds = (
        audit.reviews.filter(kind=ReviewKind.SECOND)
        .select_related("primary_review__decision", "primary_review__auditor", "auditor")
        .order_by("decision__crime_record__offence_category", "pk")
    )
    for agree, second in zip((True, False), seconds, strict=False):
        primary = second.primary_review
        if not primary.is_finished:
            primary = review_save(
                review=primary, by=primary.auditor, answers=_answers(primary, rng), version=primary.version, submit=True
            )
        answers = primary.answers()
        if not agree:
            answers = _disagreeing(answers)
        review_save(review=second, by=second.auditor, answers=answers, version=second.version, submit=True)


def _disagreeing(answers: dict) -> dict:
    """The same answers with the opposite view of whether the decision was correct."""
    if answers["decision_correct"] == Verdict.YES:
        return answers | {
            "decision_correct": Verdict.NO,
            "incorrect_reason": IncorrectReason.AVI_NOT_VERIFIABLE,
            "notes": "The additional information came from the suspect alone and was not checked.",
        }
    return answers | {"decision_correct": Verdict.YES, "incorrect_reason": "", "notes": "The rationale meets C2."}


@transaction.atomic
def seed_demo() -> SeedResult:
    """Create the demonstration data, or whatever part of it is missing. Running it again changes nothing."""
    result = SeedResult()
    forces = {force.code: force for force in Force.objects.all()}
    for code, prefix in DEMO_FORCES:
        force = forces[code]
        others = [other for other in forces.values() if other.pk != force.pk]
        # Each force draws from its own generator so that a partly seeded database fills in identically.
        created = _decisions_for(force, prefix, random.Random(f"{SEED}-{code}"), others)
        result.decisions += created
        result.forces += 1 if created else 0
    result.users, users = _users()
    auditors = [users["auditor"], users["auditor2"]]
    for code, signed_off in DEMO_AUDITS:
        result.audits += _audit(
            force=forces[code],
            name="Cancellations 2025-26",
            rng=random.Random(f"{SEED}-audit-{code}"),
            supervisor=users["supervisor"],
            auditors=auditors,
            signed_off=signed_off,
            contact=users["contact"],
        )
    return result
