"""Two people changing the same thing at the same moment, on PostgreSQL where each request has its own
connection: the services lock the row, so the second change waits for the first, then finds it changed under
it and is refused (a review) or finds there is nothing left to do (a sign-off); the first is kept."""

import threading
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from reviews.errors import STALE_REVIEW_MESSAGE, StaleReviewError
from reviews.models import Audit, AuditStatus, OffenceCategory, Review, Verdict
from reviews.workflow.services import review_approve, review_save
from tests.factories import DecisionFactory, UserFactory, sampled_audit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a database with row locks and connections"),
]


def test_the_later_of_two_simultaneous_saves_waits_and_is_refused(auditor, supervisor):
    DecisionFactory(crime_record__reference="NH/26/00001")
    audit = sampled_audit(name="Race", sizes={OffenceCategory.VIOLENCE: 1}, auditors=[auditor], by=supervisor)
    review = audit.reviews.get()
    opened = review.version
    first_saved, release_first = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first():
        try:
            with transaction.atomic():
                review_save(
                    review=review, by=auditor, answers={"decision_correct": Verdict.YES}, version=opened, submit=False
                )
                first_saved.set()
                # Hold the row lock while the second save arrives.
                release_first.wait(timeout=10)
            outcome["first"] = "saved"
        finally:
            connection.close()

    def second():
        try:
            review_save(
                review=review, by=auditor, answers={"decision_correct": Verdict.NO}, version=opened, submit=False
            )
            outcome["second"] = "saved"
        except StaleReviewError:
            outcome["second"] = "refused"
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert first_saved.wait(timeout=10)
    two = threading.Thread(target=second)
    two.start()
    two.join(timeout=0.5)
    assert two.is_alive(), "the second save should wait for the first one's row lock"
    release_first.set()
    one.join(timeout=10)
    two.join(timeout=10)

    assert outcome == {"first": "saved", "second": "refused"}
    stored = Review.objects.get(pk=review.pk)
    assert stored.decision_correct == Verdict.YES
    assert stored.version == opened + 1


# Through the pages: what each person sees when two requests arrive together. A third connection holds the
# audit's row lock (which every change to an audit or its reviews takes first) until both requests are
# waiting for it, so they are truly simultaneous; then it lets them through.


@contextmanager
def audit_held(audit):
    """Hold `audit`'s row lock from another connection until the block ends."""
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Audit.objects.select_for_update().get(pk=audit.pk)
                locked.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(timeout=10)
    try:
        yield
    finally:
        release.set()
        holder.join(timeout=10)


def simultaneously(*requests):
    """Run each `request()` (a test client call) in its own thread and connection, all waiting on the audit's
    lock together; returns their responses in the same order."""
    responses: list = [None] * len(requests)

    def run(index, request):
        try:
            responses[index] = request()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, request)) for index, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=0.5)
    assert all(thread.is_alive() for thread in threads), "both requests should be waiting for the audit's lock"
    return threads, responses


def finish(threads):
    for thread in threads:
        thread.join(timeout=20)
    assert not any(thread.is_alive() for thread in threads)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_two_simultaneous_saves_of_a_review_page_keep_one_and_tell_the_other(auditor, supervisor):
    DecisionFactory(crime_record__reference="NH/26/00001")
    audit = sampled_audit(name="Race", sizes={OffenceCategory.VIOLENCE: 1}, auditors=[auditor], by=supervisor)
    review = audit.reviews.get()
    url = reverse("review_detail", args=[review.pk])
    # The same auditor has the review open twice (two tabs, or two computers), both at the same version.
    first_tab, second_tab = signed_in(auditor), signed_in(auditor)
    assert first_tab.get(url).status_code == 200
    assert second_tab.get(url).status_code == 200
    answers = {
        "first": {"decision_correct": "yes", "notes": "Checked against the crime report."},
        "second": {"decision_correct": "cannot_tell", "notes": "The log is missing."},
    }

    def save(tab, sent):
        return lambda: tab.post(url, {**sent, "version": review.version, "action": "draft"}, follow=True)

    with audit_held(audit):
        threads, responses = simultaneously(save(first_tab, answers["first"]), save(second_tab, answers["second"]))
    finish(threads)

    pages = dict(zip(answers, (response.content.decode() for response in responses), strict=True))
    saved = [name for name, page in pages.items() if "Draft of the review of NH/26/00001 saved." in page]
    refused = [name for name, page in pages.items() if STALE_REVIEW_MESSAGE in page]
    assert len(saved) == 1, "exactly one of the two saves is kept"
    assert len(refused) == 1, "the other is told its changes were not saved"
    assert refused != saved
    assert all(response.status_code == 200 for response in responses)
    stored = Review.objects.get(pk=review.pk)
    assert stored.decision_correct == answers[saved[0]]["decision_correct"]
    assert stored.notes == answers[saved[0]]["notes"]
    assert stored.version == review.version + 1
    # The refused page shows the answers that were kept, for the auditor to start from.
    assert answers[saved[0]]["notes"] in pages[refused[0]]


def test_two_simultaneous_sign_offs_of_an_audit_sign_it_off_once(auditor, supervisor):
    other_supervisor = UserFactory(username="second-supervisor", first_name="Sam", last_name="Second")
    other_supervisor.groups.add(*supervisor.groups.all())
    DecisionFactory(crime_record__reference="NH/26/00001")
    audit = sampled_audit(name="Race", sizes={OffenceCategory.VIOLENCE: 1}, auditors=[auditor], by=supervisor)
    review = audit.reviews.get()
    review = review_save(
        review=review,
        by=auditor,
        answers={"decision_correct": Verdict.YES, "victim_should_be_informed": True, "victim_informed": "yes"},
        version=review.version,
        submit=True,
    )
    review_approve(review=review, by=supervisor)
    url = reverse("audit_sign_off", args=[audit.pk])
    people = {"first": signed_in(supervisor), "second": signed_in(other_supervisor)}

    with audit_held(audit):
        threads, responses = simultaneously(*(lambda c=c: c.post(url, follow=True) for c in people.values()))
    finish(threads)

    audit.refresh_from_db()
    assert audit.status == AuditStatus.SIGNED_OFF
    assert audit.signed_off_by in (supervisor, other_supervisor)
    # One sign-off in the audit's history, by the winner: the later request found it signed off and changed nothing.
    sign_offs = audit.history.filter(history_change_reason="Signed off")
    assert sign_offs.count() == 1
    assert sign_offs.get().history_user == audit.signed_off_by
    pages = {}
    for who, response in zip(people, responses, strict=True):
        pages[who] = response.content.decode()
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == audit.get_absolute_url()
        # Each supervisor lands on the audit page, which says it is signed off and by whom.
        assert f"Signed off by {audit.signed_off_by}" in pages[who]
    winner = "first" if audit.signed_off_by == supervisor else "second"
    loser = "second" if winner == "first" else "first"
    assert "The audit is signed off." in pages[winner]
    assert f"{audit.signed_off_by} had already signed this audit off" in pages[loser]
    assert "Nothing was changed." in pages[loser]
