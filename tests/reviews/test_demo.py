import hashlib

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from reviews.demo import seed_demo
from reviews.models import (
    Action,
    ActionStatus,
    Audit,
    AuditStatus,
    CancellationDecision,
    CrimeRecord,
    Criterion,
    Disagreement,
    ImportJob,
    ImportState,
    KnownAnswerItem,
    OffenceCategory,
    OpenDataRelease,
    PublishedResults,
    Review,
    ReviewKind,
    ReviewStatus,
)

pytestmark = pytest.mark.django_db

# A smaller copy of the demo, for the checks that do not need all of it: the force in progress and one other.
SOME_FORCES = ("northamptonshire", "hampshire")


def fingerprint() -> str:
    """A digest of every demo decision and review, so two runs can be compared value for value."""
    rows = CancellationDecision.objects.order_by("crime_record__force__code", "crime_record__reference").values_list(
        "crime_record__force__code",
        "crime_record__reference",
        "crime_record__offence_category",
        "crime_record__offence_code",
        "crime_record__recorded_on",
        "criterion",
        "outcome",
        "decided_on",
        "authoriser_role",
        "receiving_force__code",
        "rationale",
    )
    # A decision can have a primary and a second review in one audit: the kind completes the order.
    reviews = Review.objects.order_by(
        "audit__force__code", "audit__name", "decision__crime_record__reference", "kind"
    ).values_list(
        "audit__name",
        "decision__crime_record__reference",
        "auditor__username",
        "kind",
        "status",
        "decision_correct",
        "incorrect_reason",
        "victim_should_be_informed",
        "victim_informed",
    )
    return hashlib.sha256(repr([list(rows), list(reviews)]).encode()).hexdigest()


def assert_the_data_steward_has_finished_import_jobs() -> None:
    """The data steward works in the data administration, and their Imports page lists finished jobs, loaded once:
    a check that passed, the import that followed it, and a check of a file with three broken rows."""
    assert User.objects.get(username="steward").is_staff
    jobs = ImportJob.objects.order_by("created_at", "pk")
    assert [(job.check_only, job.state, job.error_count) for job in jobs] == [
        (True, ImportState.DONE, 0),
        (False, ImportState.DONE, 0),
        (True, ImportState.DONE, 3),
    ]
    assert jobs[1].checked_by == jobs[0]
    assert jobs[1].counts == {"new": 0, "updated": 0, "unchanged": 25}


def test_demo_data_is_realistic_deterministic_and_safe_to_load_twice(capsys, client):
    call_command("seed_demo")
    first = fingerprint()
    counts = (CancellationDecision.objects.count(), Review.objects.count(), User.objects.count())

    call_command("seed_demo")

    assert "0 decisions in 0 forces, 0 audits and 0 users created" in capsys.readouterr().out
    assert (CancellationDecision.objects.count(), Review.objects.count(), User.objects.count()) == counts
    assert fingerprint() == first

    # Every category and criterion appears; the rules hold for every row.
    decisions = CancellationDecision.objects.select_related("crime_record")
    assert {d.crime_record.offence_category for d in decisions} == set(OffenceCategory.values)
    assert {d.criterion for d in decisions} == set(Criterion.values)
    for decision in decisions:
        decision.full_clean()

    in_progress = Audit.objects.get(status=AuditStatus.IN_PROGRESS)
    assert set(in_progress.reviews.values_list("status", flat=True)) == set(ReviewStatus.values)
    # Quality assurance to look at: second reviews (10% of 20 in each of four categories), one of them disagreeing
    # with its primary review, and a known-answer item.
    assert in_progress.reviews.filter(kind=ReviewKind.SECOND).count() == 8
    assert in_progress.disagreements.unresolved().count() == 1
    assert KnownAnswerItem.objects.filter(audit=in_progress).count() == 1
    # A national picture: at least eight forces with two signed-off audits each, 20 decisions per category, in
    # different periods, with settled disagreements among them.
    signed_off = Audit.objects.filter(status=AuditStatus.SIGNED_OFF)
    periods = signed_off.values("force").annotate(n=Count("period_start", distinct=True)).filter(n__gte=2)
    assert periods.count() >= 8
    sample_sizes = set(
        Review.objects.filter(audit__in=signed_off, kind=ReviewKind.PRIMARY)
        .values("audit", "decision__crime_record__offence_category")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
    assert sample_sizes == {20}
    assert Disagreement.objects.filter(audit__in=signed_off, final_review__isnull=False).exists()
    for role in Role.values:
        assert User.objects.filter(groups__name=role).exists(), role
    assert User.objects.get(username="contact").force.code == "hampshire"
    # Actions for the demo force contact and supervisor, in every state they can meet.
    actions = Action.objects.filter(audit__force__code="hampshire")
    assert set(actions.values_list("status", flat=True)) == set(ActionStatus.values) - {ActionStatus.WITHDRAWN}
    assert actions.overdue(timezone.localdate()).exists()
    assert_the_data_steward_has_finished_import_jobs()
    assert client.login(username="auditor", password="review-demo-2026")

    # The national page compares at least eight audited forces, 20 decisions per category each.
    client.force_login(User.objects.get(username="supervisor"))
    rows = client.get(reverse("national_comparison")).context["table"].data
    audited = [row for row in rows if row.audit is not None]
    assert len(audited) >= 8
    assert all(row.categories["rape"].reviewed == 20 for row in audited)

    # Signed-off audits carry agreement figures from their second reviews.
    audit = Audit.objects.filter(status=AuditStatus.SIGNED_OFF, force__code="hampshire").latest("period_start")
    page = client.get(reverse("audit_detail", args=[audit.pk]))
    assert "Cohen" in page.content.decode()
    assert page.context["quality"]["agreement"][0].overall.items > 0


def test_the_demo_data_comes_back_identical_when_wiped_and_loaded_again():
    seed_demo(only=SOME_FORCES)
    first = fingerprint()

    # Wiped and loaded again, the demo data comes back identical.
    OpenDataRelease.objects.all().delete()
    PublishedResults.objects.all().delete()
    Action.objects.all().delete()
    Disagreement.objects.all().delete()
    KnownAnswerItem.objects.all().delete()
    Review.objects.all().delete()
    Audit.objects.all().delete()
    CrimeRecord.objects.all().delete()
    seed_demo(only=SOME_FORCES)

    assert fingerprint() == first


def test_every_demo_publication_makes_an_open_data_release_the_latest_holding_both_versions_of_kent():
    seed_demo(only=("kent",))

    assert OpenDataRelease.objects.count() == PublishedResults.objects.count()
    corrected = PublishedResults.objects.get(version=2)
    latest = OpenDataRelease.objects.latest_first().first()
    versions = bytes(latest.files.get(name="versions.csv").content).decode()
    assert f"kent,{corrected.audit_id},1,false," in versions
    assert f"kent,{corrected.audit_id},2,true," in versions
