"""Realistic, deterministic demonstration data: eight forces' cancelled and transferred crimes over up to three
financial years, two signed-off audits of each force a year apart (with second reviews, settled disagreements,
findings and the actions that put them right), every signed-off audit published (one of them corrected), one audit
in progress with reviews at every stage, and one user per role. For local use only; nothing here is real data."""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from forces.models import Force
from reviews.exchange.decisions import decision_record
from reviews.imports.demo import import_jobs_seed
from reviews.models import (
    ActionKind,
    ActionOutcome,
    Audit,
    AuthoriserRole,
    CancellationDecision,
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
from reviews.quality.services import audit_set_second_review_share, disagreement_resolve, known_answer_add
from reviews.remedies.services import action_accept, action_record_outcome, action_return, due_date
from reviews.results.publishing import audit_publish
from reviews.workflow.planning import audit_create, audit_draw_sample
from reviews.workflow.services import (
    audit_approve_submitted,
    audit_assign_evenly,
    audit_reopen,
    audit_sign_off,
    review_approve,
    review_return,
    review_save,
)

SEED = 20260401
DEMO_PASSWORD = "review-demo-2026"
# Decisions per force and financial year: enough for a sample of 20 in each audited category.
DECISIONS_PER_PERIOD = 240
SAMPLE_SIZE = 20


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date
    signed_off: date | None

    @property
    def signed_off_on(self) -> date:
        return self.signed_off or timezone.localdate() - timedelta(days=16)

    @property
    def audit_name(self) -> str:
        return f"Cancellations {self.label}"


# The latest audits were signed off a little over two weeks before the demo is loaded, so some of their actions are
# still within their due date; the earlier ones in the autumn after their year.
PERIODS = {
    "2023-24": Period("2023-24", date(2023, 4, 1), date(2024, 3, 31), date(2024, 11, 15)),
    "2024-25": Period("2024-25", date(2024, 4, 1), date(2025, 3, 31), date(2025, 11, 14)),
    "2025-26": Period("2025-26", date(2025, 4, 1), date(2026, 3, 31), None),
}

# (force code, reference prefix, {period: signed off or in progress}). Every force but one has two signed-off
# audits a year apart; Northamptonshire is audited every year and its latest audit is under way.
DEMO_FORCES = [
    ("northamptonshire", "NH", {"2023-24": True, "2024-25": True, "2025-26": False}),
    ("hampshire", "HC", {"2024-25": True, "2025-26": True}),
    ("west-yorkshire", "WY", {"2024-25": True, "2025-26": True}),
    ("kent", "KP", {"2024-25": True, "2025-26": True}),
    ("dyfed-powys", "DP", {"2024-25": True, "2025-26": True}),
    ("merseyside", "MP", {"2024-25": True, "2025-26": True}),
    ("durham", "DU", {"2024-25": True, "2025-26": True}),
    ("avon-and-somerset", "AS", {"2024-25": True, "2025-26": True}),
]

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


def _decisions_for(force: Force, prefix: str, period: Period, rng: random.Random, others: list[Force]) -> int:
    """Create the force's demo decisions for `period` unless it has them already; returns how many were created.
    Each period numbers its references from its own block, so references never collide across periods."""
    first = 1 + list(PERIODS).index(period.label) * DECISIONS_PER_PERIOD
    mine = force.crime_records.filter(reference__startswith=f"{prefix}/")
    if mine.filter(decision__decided_on__range=(period.start, period.end)).exists():
        return 0
    for number in range(first, first + DECISIONS_PER_PERIOD):
        fields = random_decision(rng, period_start=period.start, period_end=period.end, receiving_forces=others)
        decision_record(force=force, reference=f"{prefix}/{fields['recorded_on']:%y}/{number:06d}", **fields)
    return DECISIONS_PER_PERIOD


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

# Every audit has blind second reviews of 10% of each category's sample (two of 20).
DEMO_SECOND_REVIEW_SHARE = 10


@dataclass
class DemoAudit:
    """What one demo audit needs: whose, which period, who works on it and how its verdicts are drawn."""

    force: Force
    period: Period
    signed_off: bool
    supervisor: User
    auditors: list[User]
    contact: User
    rng: random.Random


def _audit(plan: DemoAudit) -> int:
    """Plan, draw, assign and work through one audit with the same services the pages use."""
    if Audit.objects.filter(force=plan.force, name=plan.period.audit_name).exists():
        return 0
    audit = audit_create(
        force=plan.force,
        name=plan.period.audit_name,
        period_start=plan.period.start,
        period_end=plan.period.end,
        categories=dict.fromkeys(OffenceCategory.audited(), SAMPLE_SIZE),
        created_by=plan.supervisor,
        seed=plan.rng.randrange(2**31),
        recording_grade=plan.rng.choice([RecordingGrade.GOOD, RecordingGrade.REQUIRES_IMPROVEMENT])
        if plan.signed_off
        else "",
    )
    audit_draw_sample(audit=audit, by=plan.supervisor)
    if not plan.signed_off:
        _known_answer(audit, plan)
    audit_assign_evenly(audit=audit, auditors=plan.auditors, by=plan.supervisor)
    states = [ReviewStatus.SUBMITTED] if plan.signed_off else IN_PROGRESS_STATES
    for index, review in enumerate(_primary_reviews(audit)):
        _work(review, states[index % len(states)], plan)
    _second_reviews(audit, plan)
    if plan.signed_off:
        _finish(audit, plan)
    return 1


def _primary_reviews(audit: Audit):
    return (
        audit.reviews.filter(kind=ReviewKind.PRIMARY)
        .select_related("decision", "auditor")
        .order_by("decision__crime_record__offence_category", "sample_position", "pk")
    )


def _work(review: Review, state: str, plan: DemoAudit) -> None:
    """Bring one primary review to `state` as its auditor and the supervisor would."""
    if state == ReviewStatus.TO_DO:
        return
    if state == ReviewStatus.DRAFT:
        answers, submit = {"decision_correct": Verdict.YES}, False
    else:
        answers, submit = _answers(review, plan.rng), True
    review = review_save(review=review, by=review.auditor, answers=answers, version=review.version, submit=submit)
    if state == ReviewStatus.APPROVED:
        review_approve(review=review, by=plan.supervisor)
    elif state == "returned":
        review_return(review=review, by=plan.supervisor, comment="Check the rationale again against the criterion.")


def _known_answer(audit: Audit, plan: DemoAudit) -> None:
    """One decision whose verdict a force review panel already settled, hidden among the sampled ones."""
    outside = (
        CancellationDecision.objects.for_force(audit.force_id)
        .filter(decided_on__range=(audit.period_start, audit.period_end), criterion=Criterion.C2)
        .exclude(reviews__audit=audit)
        .order_by("crime_record__reference")
        .values_list("crime_record__reference", flat=True)
        .first()
    )
    if outside:
        known_answer_add(
            audit=audit,
            reference=outside,
            decision_correct=Verdict.NO,
            source="Force crime review panel, March 2026: the additional information was never verified.",
            by=plan.supervisor,
        )


def _second_reviews(audit: Audit, plan: DemoAudit) -> None:
    """Blind second reviews: most agree with their primary review; in a signed-off audit one in three audits has a
    disagreement the supervisor settled, and the audit in progress has one waiting for the supervisor."""
    audit_set_second_review_share(audit=audit, share=DEMO_SECOND_REVIEW_SHARE, by=plan.supervisor)
    audit_assign_evenly(audit=audit, auditors=plan.auditors, by=plan.supervisor)
    seconds = list(
        audit.reviews.filter(kind=ReviewKind.SECOND)
        .select_related("primary_review__decision", "primary_review__auditor", "auditor")
        .order_by("decision__crime_record__offence_category", "pk")
    )
    # The audit in progress leaves all but two second reviews to do.
    if not plan.signed_off:
        seconds = seconds[:2]
    disagreeing = 1 if not plan.signed_off or plan.rng.random() < 1 / 3 else None
    for index, second in enumerate(seconds):
        primary = second.primary_review
        if not primary.is_finished:
            primary = review_save(
                review=primary,
                by=primary.auditor,
                answers=_answers(primary, plan.rng),
                version=primary.version,
                submit=True,
            )
        answers = primary.answers()
        if index == disagreeing:
            answers = _disagreeing(answers)
        review_save(review=second, by=second.auditor, answers=answers, version=second.version, submit=True)


def _finish(audit: Audit, plan: DemoAudit) -> None:
    """Settle the audit's disagreements, approve every review and sign the audit off on its period's date."""
    for disagreement in audit.disagreements.unresolved().select_related("second_review"):
        disagreement_resolve(
            disagreement=disagreement,
            by=plan.supervisor,
            answers=disagreement.second_review.answers(),
            reason="The second reviewer is right: the rationale does not meet the criterion's test.",
        )
    audit_approve_submitted(audit=audit, by=plan.supervisor)
    audit_sign_off(audit=audit, by=plan.supervisor)
    # Signed off on its period's date, and its actions due from then.
    signed_off_at = timezone.make_aware(datetime.combine(plan.period.signed_off_on, time(15, 30)))
    Audit.objects.filter(pk=audit.pk).update(signed_off_at=signed_off_at)
    audit.refresh_from_db()
    audit.actions.update(due_on=due_date(audit))
    if plan.contact.force_id == audit.force_id:
        _actions(audit=audit, contact=plan.contact, supervisor=plan.supervisor)
    audit_publish(audit=audit, by=plan.supervisor)
    if (audit.force.code, plan.period.label) == CORRECTED:
        _correct(audit, plan)


# One published audit was corrected after publication: a verdict changed on a reopened audit, published again as
# version 2 with its note, so the superseded version 1 and the correction are both there to see.
CORRECTED = ("kent", "2024-25")


def _correct(audit: Audit, plan: DemoAudit) -> None:
    """Reopen the audit, change one "incorrect" verdict to "correct" on the force's new evidence, sign off again
    and publish the correction."""
    review = (
        audit.reviews.filter(kind=ReviewKind.PRIMARY, decision_correct=Verdict.NO, disagreement__isnull=True)
        .order_by("decision__crime_record__reference")
        .first()
    )
    if review is None:
        return
    reason = f"The force sent the witness statement behind {review.decision.crime_record.reference}."
    audit = audit_reopen(audit=audit, by=plan.supervisor, reason=reason)
    review = review_return(review=review, by=plan.supervisor, comment="Read the witness statement the force sent.")
    answers = review.answers() | {
        "decision_correct": Verdict.YES,
        "incorrect_reason": "",
        "notes": "The witness statement verifies the additional information.",
    }
    review = review_save(review=review, by=review.auditor, answers=answers, version=review.version, submit=True)
    review_approve(review=review, by=plan.supervisor)
    audit = audit_sign_off(audit=audit, by=plan.supervisor)
    audit_publish(
        audit=audit,
        by=plan.supervisor,
        correction_note=f"One decision judged incorrect was correct: {reason}",
    )


# The force contact's audits' actions cycle through these, so the actions list and the force page show each state;
# an open action of the earlier audit is overdue by now.
ACTION_STATES = ["put_right", "waiting", "put_right", "returned", "open"]
DEMO_OUTCOMES = {
    ActionKind.RECONSIDER: (ActionOutcome.CRIME_REINSTATED, ""),
    ActionKind.TELL_VICTIM: (ActionOutcome.COULD_NOT_CONTACT, "Phoned twice (10:00 and 18:30) and wrote once."),
}


def _actions(*, audit: Audit, contact: User, supervisor: User) -> None:
    """Work a signed-off audit's actions through the same services the pages use: some put right, some waiting for
    the supervisor, one returned, the rest open."""
    for index, action in enumerate(audit.actions.order_by("kind", "decision__crime_record__reference")):
        state = ACTION_STATES[index % len(ACTION_STATES)]
        if state == "open":
            continue
        outcome, details = DEMO_OUTCOMES[ActionKind(action.kind)]
        action = action_record_outcome(action=action, outcome=outcome, details=details, victim_told_on=None, by=contact)
        if state == "put_right":
            action_accept(action=action, by=supervisor)
        elif state == "returned":
            action_return(action=action, by=supervisor, comment="Attach the updated crime record.")


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
def seed_demo(*, only: Sequence[str] | None = None) -> SeedResult:
    """Create the demonstration data, or whatever part of it is missing. Running it again changes nothing.
    `only` limits it to some of the demo forces (by code), for a smaller copy of the same data."""
    result = SeedResult()
    forces = {force.code: force for force in Force.objects.all()}
    demo_forces = [entry for entry in DEMO_FORCES if only is None or entry[0] in only]
    for code, prefix, audits in demo_forces:
        force = forces[code]
        others = [other for other in forces.values() if other.pk != force.pk]
        created = 0
        for label in audits:
            # Each force and period draws from its own generator, so a partly seeded database fills in identically.
            rng = random.Random(f"{SEED}-{code}-{label}")
            created += _decisions_for(force, prefix, PERIODS[label], rng, others)
        result.decisions += created
        result.forces += 1 if created else 0
    result.users, users = _users()
    for code, _prefix, audits in demo_forces:
        for label, signed_off in audits.items():
            plan = DemoAudit(
                force=forces[code],
                period=PERIODS[label],
                signed_off=signed_off,
                supervisor=users["supervisor"],
                auditors=[users["auditor"], users["auditor2"]],
                contact=users["contact"],
                rng=random.Random(f"{SEED}-audit-{code}-{label}"),
            )
            result.audits += _audit(plan)
    if demo_forces:
        import_jobs_seed(steward=users["steward"], force=forces[demo_forces[0][0]])
    return result
