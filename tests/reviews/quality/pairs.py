"""What the quality assurance tests share: answers, decisions to sample, and a pair of reviews to submit."""

from reviews.models import IncorrectReason, OffenceCategory, Review, ReviewKind, Verdict
from reviews.workflow.services import review_save
from tests.factories import DecisionFactory

CORRECT = {
    "decision_correct": Verdict.YES,
    "incorrect_reason": "",
    "victim_should_be_informed": True,
    "victim_informed": "yes",
    "no_need_to_inform_reason": "",
    "notes": "",
}
FIRST_SENTINEL = "FIRST-AUDITOR-SENTINEL-7f3a"
SECOND_SENTINEL = "SECOND-AUDITOR-SENTINEL-91c2"
INCORRECT = {
    "decision_correct": Verdict.NO,
    "incorrect_reason": IncorrectReason.SHOULD_STAY_RECORDED,
    "victim_should_be_informed": True,
    "victim_informed": "no",
    "notes": FIRST_SENTINEL,
}


def decisions(count: int, category=OffenceCategory.VIOLENCE, prefix="NH") -> None:
    for number in range(count):
        DecisionFactory(
            crime_record__reference=f"{prefix}/{category[:3]}/{number:05d}", crime_record__offence_category=category
        )


def submit(review: Review, answers: dict) -> Review:
    review.refresh_from_db()
    return review_save(review=review, by=review.auditor, answers=answers, version=review.version, submit=True)


def pair(audit) -> tuple[Review, Review]:
    primary = audit.reviews.filter(kind=ReviewKind.PRIMARY, sample_position__isnull=False).order_by("sample_position")[
        0
    ]
    return primary, primary.second_review
