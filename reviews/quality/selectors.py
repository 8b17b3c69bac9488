"""Quality assurance reads: the disagreements list, agreement between auditors, known-answer accuracy."""

from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery

from accounts.models import User
from reviews.models import (
    DISAGREEMENT_CLOSED,
    DISAGREEMENT_OPEN,
    Audit,
    Disagreement,
    KnownAnswerItem,
    OffenceCategory,
    Review,
    ReviewKind,
    ReviewStatus,
    Verdict,
    VictimInformed,
)
from reviews.quality import qa
from reviews.quality.agreement import Agreement, agreement_by_group, agreement_from_counts, auditor_pair
from reviews.quality.qa import Accuracy


def disagreement_list(*, user) -> QuerySet[Disagreement]:
    """Disagreements the supervisor `user` may see: open ones first, then settled, then closed, with both reviews
    and their auditors."""
    return (
        Disagreement.objects.visible_to(user)
        .select_related(
            "audit__force",
            "decision__crime_record",
            "primary_review__auditor",
            "second_review__auditor",
            "final_review",
            "resolved_by",
        )
        .order_by(
            F("closed_at").desc(nulls_first=True),
            F("resolved_at").desc(nulls_first=True),
            "audit__name",
            "decision__crime_record__reference",
        )
    )


def _person(first_name: str, last_name: str, username: str) -> str:
    return f"{first_name} {last_name}".strip() or username


@dataclass
class AuditAgreement:
    """Agreement on one question between primary and second reviews, both submitted at least once, on their
    answers as first submitted."""

    question: str
    overall: Agreement
    by_category: list[tuple[str, Agreement]]
    by_pair: list[tuple[str, Agreement]]


# The questions agreement is measured on: (answer field, the question, its whole answer scale).
AGREEMENT_QUESTIONS = (
    ("decision_correct", "Was the decision correct?", Verdict.values),
    ("victim_informed", "Was the victim informed?", VictimInformed.values),
)


def _first_answer_pairs(pairs: QuerySet[Review], field_name: str) -> list[tuple]:
    """(category, primary's auditor, second's auditor, first answer, second answer, count) for the second reviews
    `pairs`, on the answer `field_name` as each review first submitted it, counted in SQL."""
    return list(
        pairs.annotate(
            first_answer=Review.first_submitted_answer(field_name, through="primary_review__"),
            second_answer=Review.first_submitted_answer(field_name),
        )
        .exclude(first_answer="")
        .exclude(second_answer="")
        .values_list(
            "decision__crime_record__offence_category",
            "primary_review__auditor",
            "auditor",
            "first_answer",
            "second_answer",
        )
        .annotate(n=Count("pk"))
        .order_by("decision__crime_record__offence_category", "primary_review__auditor", "auditor")
    )


def audit_agreement(*, audit: Audit) -> list[AuditAgreement]:
    """For each of `AGREEMENT_QUESTIONS`, percentage agreement, Cohen's kappa and Gwet's AC1 for the audit as
    a whole, per offence category and per pair of auditors, over the decisions both reviews answered.

    Each review counts with its answers as first submitted (`Review.first_submitted_answer`): a disagreement
    that a return and a resubmission later removed still counts as one, so the figures measure how far the
    auditors agreed independently. A pair counts once both reviews have been submitted, even while one is back
    with its auditor. The answer pairs are counted in SQL (one query per question, whatever the audit's size),
    plus one query for the auditors' names."""
    submitted_once = Q(first_submitted_at__isnull=False) | Q(status__in=ReviewStatus.finished())
    primary_submitted_once = Q(primary_review__first_submitted_at__isnull=False) | Q(
        primary_review__status__in=ReviewStatus.finished()
    )
    pairs = Review.objects.filter(audit=audit, kind=ReviewKind.SECOND).filter(submitted_once & primary_submitted_once)
    counted = [(question, scale, _first_answer_pairs(pairs, name)) for name, question, scale in AGREEMENT_QUESTIONS]
    ids = {person for _, _, rows in counted for row in rows for person in row[1:3]}
    names = (
        {
            row[0]: _person(*row[1:])
            for row in User.objects.filter(pk__in=ids).values_list("pk", "first_name", "last_name", "username")
        }
        if ids
        else {}
    )
    labels = dict(OffenceCategory.choices)
    results = []
    for question, scale, rows in counted:
        overall = agreement_by_group(((None, a, b, n) for _, _, _, a, b, n in rows), categories=scale)
        by_category = agreement_by_group(((category, a, b, n) for category, _, _, a, b, n in rows), categories=scale)
        by_pair = agreement_by_group(
            ((auditor_pair(first, second), a, b, n) for _, first, second, a, b, n in rows), categories=scale
        )
        results.append(
            AuditAgreement(
                question=question,
                overall=overall.get(None) or agreement_from_counts({}, categories=scale),
                by_category=[(labels.get(category, category), result) for category, result in by_category.items()],
                by_pair=sorted(
                    (" and ".join(sorted(names.get(person, "?") for person in pair)), result)
                    for pair, result in by_pair.items()
                ),
            )
        )
    return results


def known_answer_accuracy_by_auditor(*, audit: Audit) -> list[tuple[str, Accuracy]]:
    """Each auditor's accuracy on the audit's known-answer items (finished reviews only), by name; the
    answers are counted in SQL."""
    settled = KnownAnswerItem.objects.filter(audit_id=OuterRef("audit_id"), decision_id=OuterRef("decision_id"))
    rows = (
        Review.objects.filter(audit=audit, kind__in=ReviewKind.blind_pair(), status__in=ReviewStatus.finished())
        # Known-answer items are few: narrow to them first, so the settled verdict is looked up only for theirs.
        .filter(decision__in=audit.known_answers.values("decision"))
        .annotate(settled=Subquery(settled.values("decision_correct")[:1]))
        .filter(settled__isnull=False)
        .values_list("auditor__first_name", "auditor__last_name", "auditor__username", "decision_correct", "settled")
        .annotate(n=Count("pk"))
        .order_by("auditor__first_name", "auditor__last_name", "auditor__username")
    )
    accuracy = qa.known_answer_accuracy_by_auditor(
        (_person(first, last, username), given, answer, n) for first, last, username, given, answer, n in rows
    )
    return list(accuracy.items())


def unresolved_disagreements(*, audit: Audit) -> QuerySet[Disagreement]:
    """The audit's disagreements still waiting for a final verdict, with what their links show."""
    return (
        audit.disagreements.unresolved()
        .select_related("decision__crime_record")
        .order_by("decision__crime_record__reference")
    )


def audit_quality(*, audit: Audit) -> dict:
    """What the audit page shows supervisors about quality assurance: second reviews and disagreements
    counted in one query each, agreement figures and known-answer accuracy."""
    second = audit.reviews.filter(kind=ReviewKind.SECOND).aggregate(
        total=Count("pk"),
        finished=Count("pk", filter=Q(status__in=ReviewStatus.finished())),
        unassigned=Count("pk", filter=Q(auditor__isnull=True)),
    )
    disagreements = audit.disagreements.aggregate(
        total=Count("pk"),
        unresolved=Count("pk", filter=DISAGREEMENT_OPEN),
        closed=Count("pk", filter=DISAGREEMENT_CLOSED),
    )
    return {
        "second_reviews": second,
        "disagreements": disagreements,
        "agreement": audit_agreement(audit=audit),
        "accuracy": known_answer_accuracy_by_auditor(audit=audit),
        "known_answers": audit.known_answers.count(),
    }


def disagreement_of(*, review: Review) -> Disagreement | None:
    """The disagreement `review` is part of (as the primary or the second review), or None."""
    if review.kind not in ReviewKind.blind_pair():
        return None
    return Disagreement.objects.filter(Q(primary_review=review) | Q(second_review=review)).first()
