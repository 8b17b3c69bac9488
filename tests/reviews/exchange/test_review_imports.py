"""`manage.py import_reviews`: a completed audit from a spreadsheet, linked to the decisions it names."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from reviews.exchange.reviews import REOPEN_REASON
from reviews.models import (
    CLOSED_IN_AGREEMENT,
    Audit,
    AuditStatus,
    Disagreement,
    Review,
    ReviewKind,
    ReviewStatus,
    VictimInformed,
)
from reviews.workflow.services import audit_sign_off
from tests.factories import AuditFactory, DecisionFactory, ReviewFactory, UserFactory, sign_off
from tests.reviews.exchange.importing import (
    REVIEW_COLUMNS,
    csv_bytes,
    review_row,
    run_import,
    snapshot,
    write,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def decisions(auditor):
    return [
        DecisionFactory(crime_record__reference=f"NH/26/{number:06d}", decided_on=date(2026, 2, number))
        for number in range(1, 4)
    ]


def import_rows(tmp_path, rows, *args):
    return run_import("import_reviews", write(tmp_path, csv_bytes(rows, REVIEW_COLUMNS), "reviews.csv"), *args)


def test_a_completed_audit_creates_the_audit_and_its_reviews(tmp_path, decisions, auditor):
    rows = [
        review_row(),
        review_row(
            crime_reference="NH/26/000002",
            decision_correct="No",
            incorrect_reason="The additional information was not verifiable",
            victim_informed="no auditable record",
            notes="The rationale shows no verifiable information.",
        ),
        review_row(
            crime_reference="NH/26/000003",
            decision_correct="cannot tell",
            victim_should_be_informed="N",
            no_need_to_inform_reason="no_identifiable_victim",
            victim_informed="",
            auditor="AUDITOR",
        ),
    ]

    out, err, ok = import_rows(tmp_path, rows)

    assert ok, err
    assert 'The audit "Imported audit 2026" of northamptonshire does not exist yet: it is created.' in out
    assert "Imported 3 reviews: 3 new, 0 updated, 0 unchanged." in out
    audit = Audit.objects.get(name="Imported audit 2026")
    assert (audit.period_start, audit.period_end) == (date(2026, 2, 1), date(2026, 2, 3))
    assert audit.status == AuditStatus.IN_PROGRESS
    assert {category.offence_category: category.sample_size for category in audit.categories.all()} == {"violence": 3}
    reviews = {review.decision.crime_record.reference: review for review in audit.reviews.all()}
    assert set(reviews) == {"NH/26/000001", "NH/26/000002", "NH/26/000003"}
    assert reviews["NH/26/000002"].incorrect_reason == "avi_not_verifiable"
    assert reviews["NH/26/000002"].victim_informed == VictimInformed.NO_RECORD
    assert reviews["NH/26/000003"].victim_should_be_informed is False
    assert all(review.status == ReviewStatus.SUBMITTED and review.auditor == auditor for review in reviews.values())


@pytest.mark.parametrize(("answer", "expected"), [("Y", True), ("TRUE", True), ("no", False), ("False", False)])
def test_yes_no_answers_accept_any_usual_spelling(tmp_path, decisions, answer, expected):
    row = review_row(victim_should_be_informed=answer)
    if not expected:
        row.update(victim_informed="", no_need_to_inform_reason="safeguarding")

    out, err, ok = import_rows(tmp_path, [row])

    assert ok, err
    assert Review.objects.get().victim_should_be_informed is expected


def test_reviews_go_into_an_existing_audit_and_a_reimport_changes_nothing(tmp_path, decisions):
    audit = AuditFactory(name="Imported audit 2026", status=AuditStatus.IN_PROGRESS)
    sampled = ReviewFactory(audit=audit, decision=decisions[0], status=ReviewStatus.TO_DO)
    rows = [review_row(), review_row(crime_reference="NH/26/000002")]

    out, err, ok = import_rows(tmp_path, rows)
    assert ok, err
    assert "1 new, 1 updated, 0 unchanged" in out
    sampled.refresh_from_db()
    assert sampled.status == ReviewStatus.SUBMITTED
    before = snapshot()

    out, err, ok = import_rows(tmp_path, rows)

    assert ok, err
    assert "0 new, 0 updated, 2 unchanged" in out
    assert snapshot() == before


def test_a_signed_off_audit_refuses_the_import(tmp_path, decisions, supervisor):
    audit = AuditFactory(name="Imported audit 2026")
    ReviewFactory(audit=audit, decision=decisions[0], status=ReviewStatus.TO_DO)
    sign_off(audit, by=supervisor)
    before = snapshot()

    out, err, ok = import_rows(tmp_path, [review_row()])

    assert not ok
    assert 'row 2, audit: "Imported audit 2026" is signed off: its reviews can no longer change' in err
    assert snapshot() == before


REVIEW_ERRORS = [
    (
        review_row(crime_reference="NH/00/404"),
        'row 2, crime_reference: northamptonshire has no decision with crime reference "NH/00/404"',
    ),
    (review_row(auditor="nobody"), 'row 2, auditor: no active user called "nobody"'),
    (review_row(force="Hampshire Police"), 'row 2, force: no force called "Hampshire Police"'),
    (review_row(decision_correct="maybe"), 'row 2, decision_correct: "maybe" is not one of yes, no, cannot_tell'),
    (review_row(victim_should_be_informed="perhaps"), 'row 2, victim_should_be_informed: "perhaps" is not yes or no'),
    (
        review_row(decision_correct="no", notes="Wrong."),
        "row 2, incorrect_reason: is blank: the decision was judged incorrect, so it must be one of",
    ),
    (review_row(decision_correct="no", incorrect_reason="wrong_criterion"), "row 2, notes: is blank: explain why"),
    (
        review_row(incorrect_reason="wrong_criterion"),
        'row 2, incorrect_reason: "wrong_criterion" given, but it is only for when the decision was judged incorrect',
    ),
    (review_row(victim_informed=""), "row 2, victim_informed: is blank: the victim should have been informed"),
    (
        review_row(victim_should_be_informed="no"),
        'row 2, victim_informed: "yes" given, but it is only for when the victim should have been informed',
    ),
    (review_row(auditor=""), "row 2, auditor: is blank: a value is needed"),
]


@pytest.mark.parametrize(("row", "message"), REVIEW_ERRORS, ids=[message[:40] for _, message in REVIEW_ERRORS])
def test_a_bad_review_row_is_reported_and_nothing_is_written(tmp_path, decisions, row, message):
    before = snapshot()

    out, err, ok = import_rows(tmp_path, [row])

    assert not ok
    assert message in err
    assert snapshot() == before


def test_a_decision_outside_an_existing_audits_period_is_refused(tmp_path, decisions):
    AuditFactory(name="Imported audit 2026", period_start=date(2026, 3, 1), period_end=date(2026, 3, 31))
    before = snapshot()

    out, err, ok = import_rows(tmp_path, [review_row()])

    assert not ok
    assert '"NH/26/000001" was decided on 01/02/2026, outside the audit\'s period (01/03/2026 to 31/03/2026)' in err
    assert snapshot() == before


def test_a_decision_reviewed_twice_in_one_file_is_reported(tmp_path, decisions):
    out, err, ok = import_rows(tmp_path, [review_row(), review_row(decision_correct="cannot_tell")])

    assert not ok
    assert 'row 3, crime_reference: "NH/26/000001" is already in row 2 for the same audit' in err
    assert not Audit.objects.exists()


def test_the_number_of_queries_does_not_grow_with_the_rows(tmp_path):
    auditor = UserFactory(username="auditor", role=Role.AUDITOR)
    counts = []
    for size in (3, 30):
        for number in range(size):
            DecisionFactory(crime_record__reference=f"Q{size}/{number}")
        rows = [
            review_row(audit=f"Audit of {size}", crime_reference=f"Q{size}/{number}", auditor=auditor.username)
            for number in range(size)
        ]
        path = write(tmp_path, csv_bytes(rows, REVIEW_COLUMNS), "reviews.csv")
        with CaptureQueriesContext(connection) as queries:
            assert run_import("import_reviews", path)[2]
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert Review.objects.count() == 33


def test_a_reviews_file_without_records_is_refused(tmp_path):
    out, err, ok = import_rows(tmp_path, [])

    assert not ok
    assert "The file has a header row but no records under it." in err


def test_a_dry_run_reports_the_counts_and_creates_nothing(tmp_path, decisions):
    out, err, ok = import_rows(tmp_path, [review_row()], "--dry-run")

    assert ok, err
    assert "Dry run, nothing saved: 1 reviews read; 1 new, 0 updated, 0 unchanged." in out
    assert not Audit.objects.exists()
    assert not Review.objects.exists()


def test_imported_reviews_are_on_record_and_outdate_an_open_review_page(tmp_path, decisions):
    audit = AuditFactory(name="Imported audit 2026", status=AuditStatus.IN_PROGRESS)
    sampled = ReviewFactory(audit=audit, decision=decisions[0], status=ReviewStatus.TO_DO)
    version_on_the_page = sampled.version

    out, err, ok = import_rows(tmp_path, [review_row(), review_row(crime_reference="NH/26/000002")])

    assert ok, err
    sampled.refresh_from_db()
    assert sampled.version == version_on_the_page + 1
    imported = Review.history.filter(history_change_reason="Imported from a reviews file")
    assert sorted(imported.values_list("decision__crime_record__reference", "history_type")) == [
        ("NH/26/000001", "~"),
        ("NH/26/000002", "+"),
    ]


def test_an_audit_signed_off_while_the_file_is_checked_refuses_the_import(tmp_path, decisions, supervisor, monkeypatch):
    from reviews.errors import ImportFileError
    from reviews.exchange import reviews as review_import

    audit = AuditFactory(name="Imported audit 2026", status=AuditStatus.IN_PROGRESS)
    ReviewFactory(audit=audit, decision=decisions[0], status=ReviewStatus.TO_DO)
    file = write(tmp_path, csv_bytes([review_row()], REVIEW_COLUMNS), "reviews.csv")
    checked = review_import.plan_reviews

    def plan_then_sign_off(*args, **kwargs):
        plan = checked(*args, **kwargs)
        sign_off(audit, by=supervisor)
        return plan

    before = list(Review.objects.values())
    monkeypatch.setattr(review_import, "plan_reviews", plan_then_sign_off)

    with pytest.raises(ImportFileError, match="was signed off while the file was being checked"):
        review_import.reviews_import(file=file.open("rb"))

    assert list(Review.objects.values()) == before


@pytest.mark.parametrize("role", [Role.FORCE_CONTACT, Role.SUPERVISOR, Role.DATA_STEWARD, None])
def test_reviews_go_only_to_people_with_the_auditor_role(tmp_path, decisions, northamptonshire, role):
    person = UserFactory(username="not_an_auditor", role=role, force=northamptonshire)
    before = snapshot()

    out, err, ok = import_rows(
        tmp_path, [review_row(), review_row(crime_reference="NH/26/000002", auditor=person.username)]
    )

    assert not ok
    assert 'row 3, auditor: "not_an_auditor" does not have the auditor role, so cannot be given reviews' in err
    assert "row 2" not in err
    assert snapshot() == before


def test_a_superuser_without_the_auditor_role_is_not_given_reviews(tmp_path, decisions):
    UserFactory(username="admin", is_superuser=True)

    out, err, ok = import_rows(tmp_path, [review_row(auditor="admin")])

    assert not ok
    assert 'row 2, auditor: "admin" does not have the auditor role' in err


@pytest.fixture
def approved(decisions, auditor, supervisor):
    audit = AuditFactory(name="Imported audit 2026", status=AuditStatus.IN_PROGRESS)
    # The answers of `review_row()`, approved by a supervisor.
    return ReviewFactory(
        audit=audit,
        decision=decisions[0],
        auditor=auditor,
        status=ReviewStatus.APPROVED,
        decision_correct="yes",
        victim_should_be_informed=True,
        victim_informed="yes",
    )


def test_an_import_leaves_an_approved_review_as_it_is(tmp_path, approved):
    before = snapshot()
    rows = [review_row(crime_reference="NH/26/000002"), review_row(decision_correct="cannot_tell")]

    out, err, ok = import_rows(tmp_path, rows)

    assert not ok
    assert (
        'row 3: the review of "NH/26/000001" in "Imported audit 2026" is approved and the file changes it: an import '
        "leaves approved reviews as they are unless it is asked to reopen them"
    ) in err
    assert "row 2" not in err
    assert snapshot() == before
    approved.refresh_from_db()
    assert (approved.status, approved.decision_correct) == (ReviewStatus.APPROVED, "yes")


def test_a_file_that_repeats_an_approved_review_leaves_it_approved(tmp_path, approved):
    out, err, ok = import_rows(tmp_path, [review_row()])

    assert ok, err
    assert "0 new, 0 updated, 1 unchanged" in out
    approved.refresh_from_db()
    assert approved.status == ReviewStatus.APPROVED


def test_reopening_approved_reviews_is_asked_for_and_on_record_under_the_importer(tmp_path, approved, supervisor):
    rows = [review_row(decision_correct="cannot_tell")]

    out, err, ok = import_rows(tmp_path, rows, "--reopen-approved", "--user", "supervisor")

    assert ok, err
    assert "0 new, 1 updated, 0 unchanged" in out
    approved.refresh_from_db()
    assert (approved.status, approved.decision_correct) == (ReviewStatus.SUBMITTED, "cannot_tell")
    latest = approved.history.latest()
    assert latest.history_user == supervisor
    assert latest.history_change_reason == REOPEN_REASON


def test_reopening_approved_reviews_needs_the_person_importing(tmp_path, approved):
    before = snapshot()

    out, err, ok = import_rows(tmp_path, [review_row(decision_correct="cannot_tell")], "--reopen-approved")

    assert not ok
    assert "Reopening approved reviews needs the person importing" in err
    assert snapshot() == before


def test_checking_the_auditors_roles_takes_no_query_per_auditor(tmp_path):
    counts = []
    for size in (1, 4):
        auditors = [UserFactory(username=f"auditor{size}_{number}", role=Role.AUDITOR) for number in range(size)]
        for number in range(4):
            DecisionFactory(crime_record__reference=f"R{size}/{number}")
        rows = [
            review_row(
                audit=f"Audit of {size}", crime_reference=f"R{size}/{number}", auditor=auditors[number % size].username
            )
            for number in range(4)
        ]
        path = write(tmp_path, csv_bytes(rows, REVIEW_COLUMNS), "reviews.csv")
        with CaptureQueriesContext(connection) as queries:
            assert run_import("import_reviews", path)[2]
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_primary_review_does_not_go_to_the_auditor_of_its_second_review(tmp_path, decisions, auditor):
    audit = AuditFactory(name="Imported audit 2026", status=AuditStatus.IN_PROGRESS)
    second = ReviewFactory(audit=audit, decision=decisions[0], kind=ReviewKind.SECOND, auditor=auditor)
    primary = second.primary_review
    before = snapshot()

    out, err, ok = import_rows(tmp_path, [review_row()])

    assert not ok
    assert (
        'row 2, auditor: "auditor" makes the blind second review of "NH/26/000001": the primary review must be by'
        in err
    )
    assert snapshot() == before
    primary.refresh_from_db()
    assert primary.auditor != auditor


def test_an_imported_submission_keeps_its_first_answers_and_a_later_file_leaves_them(tmp_path, decisions):
    audit = AuditFactory(name="Imported audit 2026", status=AuditStatus.IN_PROGRESS)
    sampled = ReviewFactory(audit=audit, decision=decisions[0], status=ReviewStatus.TO_DO)

    first = review_row(decision_correct="No", incorrect_reason="not_authorised", notes="Not authorised by a DDM.")
    out, err, ok = import_rows(tmp_path, [first])
    assert ok, err
    out, err, ok = import_rows(tmp_path, [review_row(decision_correct="Yes")])
    assert ok, err

    sampled.refresh_from_db()
    # Agreement figures count the first submitted verdict; the review holds the latest one.
    assert (sampled.decision_correct, sampled.first_decision_correct) == ("yes", "no")
    assert sampled.first_submitted_at is not None
    new = Review.objects.get(decision=decisions[0], audit__name="Imported audit 2026")
    assert new.pk == sampled.pk


@pytest.fixture
def blind_pair(decisions, auditor):
    """A primary review and its blind second review of "NH/26/000001", both submitted with the answers of
    `review_row()`: a pair in agreement."""
    audit = AuditFactory(name="Imported audit 2026", status=AuditStatus.IN_PROGRESS)
    answers = {"status": ReviewStatus.SUBMITTED, "decision_correct": "yes", "victim_should_be_informed": True}
    primary = ReviewFactory(audit=audit, decision=decisions[0], auditor=auditor, victim_informed="yes", **answers)
    ReviewFactory(
        audit=audit,
        decision=decisions[0],
        kind=ReviewKind.SECOND,
        primary_review=primary,
        auditor=UserFactory(username="second", role=Role.AUDITOR),
        victim_informed="yes",
        **answers,
    )
    return primary


DIFFERENT_VERDICT = {"decision_correct": "no", "incorrect_reason": "should_stay_recorded", "notes": "Stays recorded."}


def test_a_file_that_makes_a_blind_pair_differ_records_a_disagreement_blocking_sign_off(
    tmp_path, blind_pair, supervisor
):
    out, err, ok = import_rows(tmp_path, [review_row(**DIFFERENT_VERDICT)], "--user", "supervisor")

    assert ok, err
    assert "0 new, 1 updated, 0 unchanged" in out
    disagreement = Disagreement.objects.get(primary_review=blind_pair)
    assert (disagreement.decision_correct_differs, disagreement.victim_informed_differs) == (True, False)
    assert not disagreement.is_closed
    assert disagreement.history.latest().history_user == supervisor
    with pytest.raises(ValidationError, match="1 disagreement between first and second reviews is not resolved"):
        audit_sign_off(audit=blind_pair.audit, by=supervisor)


def test_a_file_that_makes_a_pair_differ_again_opens_its_closed_disagreement(tmp_path, blind_pair, supervisor):
    second = blind_pair.second_review
    closed = Disagreement.objects.create(
        audit=blind_pair.audit,
        decision=blind_pair.decision,
        primary_review=blind_pair,
        second_review=second,
        decision_correct_differs=True,
        closed_at=timezone.now(),
        closed_reason=CLOSED_IN_AGREEMENT,
    )

    out, err, ok = import_rows(tmp_path, [review_row(**DIFFERENT_VERDICT)], "--user", "supervisor")

    assert ok, err
    closed.refresh_from_db()
    assert not closed.is_closed
    assert Disagreement.objects.unresolved().get() == closed


def test_a_file_that_brings_a_pair_into_agreement_closes_its_open_disagreement(tmp_path, blind_pair, supervisor):
    Review.objects.filter(pk=blind_pair.pk).update(**DIFFERENT_VERDICT)
    opened = Disagreement.objects.create(
        audit=blind_pair.audit,
        decision=blind_pair.decision,
        primary_review=blind_pair,
        second_review=blind_pair.second_review,
        decision_correct_differs=True,
    )

    out, err, ok = import_rows(tmp_path, [review_row()], "--user", "supervisor")

    assert ok, err
    opened.refresh_from_db()
    assert (opened.is_closed, opened.closed_reason) == (True, CLOSED_IN_AGREEMENT)
    assert not Disagreement.objects.unresolved().exists()


def test_a_file_that_leaves_a_pair_in_agreement_records_no_disagreement(tmp_path, blind_pair, decisions):
    rows = [review_row(notes="Checked again."), review_row(crime_reference="NH/26/000002")]

    out, err, ok = import_rows(tmp_path, rows)

    assert ok, err
    assert "1 new, 1 updated, 0 unchanged" in out
    assert not Disagreement.objects.exists()


def test_updating_reviews_takes_no_query_per_review_without_blind_pairs(tmp_path, auditor):
    counts = []
    for size in (3, 30):
        audit = AuditFactory(name=f"Audit of {size}", status=AuditStatus.IN_PROGRESS)
        for number in range(size):
            decision = DecisionFactory(crime_record__reference=f"U{size}/{number}")
            ReviewFactory(audit=audit, decision=decision, auditor=auditor, status=ReviewStatus.TO_DO)
        rows = [review_row(audit=audit.name, crime_reference=f"U{size}/{number}") for number in range(size)]
        path = write(tmp_path, csv_bytes(rows, REVIEW_COLUMNS), "reviews.csv")
        with CaptureQueriesContext(connection) as queries:
            out, err, ok = run_import("import_reviews", path)
        assert ok, err
        assert f"0 new, {size} updated, 0 unchanged" in out
        counts.append(len(queries))

    assert counts[0] == counts[1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_the_import_holds_every_audit_it_writes_to_locked_until_it_ends(tmp_path, decisions, monkeypatch):
    from reviews.exchange import reviews as review_import

    audit = AuditFactory(name="Imported audit 2026", status=AuditStatus.IN_PROGRESS)
    ReviewFactory(audit=audit, decision=decisions[0], status=ReviewStatus.TO_DO)
    written = review_import.bulk_update_with_history
    locked_while_writing = []

    def write_while_another_tries_the_audit(*args, **kwargs):
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT id FROM reviews_audit WHERE id = %s FOR UPDATE NOWAIT", [audit.pk])
            locked_while_writing.append(False)
        except OperationalError:
            # Signing the audit off (which locks its row) would wait for the import to end.
            locked_while_writing.append(True)
        finally:
            other.close()
        return written(*args, **kwargs)

    monkeypatch.setattr(review_import, "bulk_update_with_history", write_while_another_tries_the_audit)

    out, err, ok = import_rows(tmp_path, [review_row()])

    assert ok, err
    assert locked_while_writing == [True]
