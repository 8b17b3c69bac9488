"""Issue 16, acceptance 2 and 5: who may open and change each action, the actions list with its filters and
downloads on the access records, the summaries, and the query counts of /actions/ and the force page."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccessAction, AccessRecord
from accounts.roles import Role
from reviews.models import Action, ActionKind, ActionOutcome, ActionStatus
from reviews.remedies.services import action_accept, action_record_outcome
from reviews.results.publishing import audit_publish
from tests.factories import DecisionFactory, UserFactory, sampled_audit
from tests.reviews.remedies.helpers import INCORRECT_TOLD, primaries, signed_off_audit, submit

pytestmark = pytest.mark.django_db


def action_urls(action) -> list[tuple[str, str]]:
    return [
        ("get", reverse("action_detail", args=[action.pk])),
        ("get", reverse("action_outcome", args=[action.pk])),
        ("post", reverse("action_outcome", args=[action.pk])),
        ("post", reverse("action_accept", args=[action.pk])),
        ("get", reverse("action_return", args=[action.pk])),
        ("post", reverse("action_return", args=[action.pk])),
    ]


def test_every_action_url_is_not_found_for_another_forces_contact(client, audit, other_contact):
    client.force_login(other_contact)
    for action in audit.actions.all():
        for method, url in action_urls(action):
            assert getattr(client, method)(url).status_code == 404, url
    page = client.get(reverse("action_list")).content.decode()
    assert "No actions match." in page
    assert Action.objects.filter(status=ActionStatus.OPEN).count() == 4


def test_an_auditor_cannot_record_an_outcome(client, audit, auditor):
    action = audit.actions.filter(kind=ActionKind.TELL_VICTIM).first()
    client.force_login(auditor)
    assert client.get(action.get_absolute_url()).status_code == 200
    url = reverse("action_outcome", args=[action.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"outcome": ActionOutcome.VICTIM_TOLD, "victim_told_on": "01/05/2026"})
    assert response.status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_a_force_contact_cannot_accept_their_own_outcome(client, audit, contact):
    action = audit.actions.filter(kind=ActionKind.TELL_VICTIM).first()
    action_record_outcome(action=action, outcome=ActionOutcome.VICTIM_TOLD, victim_told_on=date(2026, 5, 1), by=contact)
    client.force_login(contact)
    assert client.post(reverse("action_accept", args=[action.pk])).status_code == 403
    assert client.post(reverse("action_return", args=[action.pk]), {"text": "No."}).status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.OUTCOME_RECORDED


def test_the_force_contact_records_and_the_supervisor_accepts_through_the_pages(client, audit, contact, supervisor):
    action = audit.actions.filter(kind=ActionKind.TELL_VICTIM).first()
    client.force_login(contact)
    url = reverse("action_outcome", args=[action.pk])
    response = client.post(url, {"outcome": ActionOutcome.VICTIM_TOLD, "victim_told_on": "31/02/2026"})
    assert "Enter a real date" in response.content.decode()
    response = client.post(url, {"outcome": ActionOutcome.COULD_NOT_CONTACT, "details": ""})
    assert "List the attempts made to contact the victim." in response.content.decode()
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN

    client.post(url, {"outcome": ActionOutcome.VICTIM_TOLD, "victim_told_on": "01/05/2026"})
    action.refresh_from_db()
    assert (action.status, action.victim_told_on) == (ActionStatus.OUTCOME_RECORDED, date(2026, 5, 1))

    client.force_login(supervisor)
    page = client.get(action.get_absolute_url()).content.decode()
    assert "Accept the outcome" in page
    client.post(reverse("action_accept", args=[action.pk]))
    action.refresh_from_db()
    assert action.status == ActionStatus.PUT_RIGHT
    assert AccessRecord.objects.filter(action=AccessAction.VIEWED, object_type="action", user=supervisor).exists()


def test_the_list_filters_by_kind_and_overdue_and_marks_overdue_actions(client, audit, contact):
    late = audit.actions.filter(kind=ActionKind.RECONSIDER).first()
    Action.objects.filter(pk=late.pk).update(due_on=date.today() - timedelta(days=1))
    client.force_login(contact)

    page = client.get(reverse("action_list"), {"overdue": "yes"}).content.decode()
    assert late.decision.crime_record.reference in page
    assert page.count("govuk-tag--red") == 1
    page = client.get(reverse("action_list"), {"kind": ActionKind.TELL_VICTIM}).content.decode()
    assert page.count("Tell the victim</td>") == 2
    assert "Reconsider the decision</td>" not in page
    response = client.get(reverse("action_list"), {"status": "nonsense"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_the_download_escapes_formulae_and_is_on_the_access_records(client, audit, contact, supervisor):
    action = audit.actions.filter(kind=ActionKind.RECONSIDER).first()
    action_record_outcome(action=action, outcome=ActionOutcome.OTHER, details="=HYPERLINK(1)", by=contact)
    client.force_login(supervisor)

    response = client.get(reverse("action_list"), {"_export": "csv", "kind": ActionKind.RECONSIDER})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 2
    assert "'=HYPERLINK(1)" in {row["Details"] for row in rows}
    record = AccessRecord.objects.filter(action=AccessAction.EXPORTED, object_type="actions").get()
    assert record.details["row_count"] == 2
    assert record.details["format"] == "csv"
    assert client.get(reverse("action_list"), {"_export": "xlsx"})["Content-Type"].startswith("application/vnd")
    assert client.get(reverse("action_list"), {"_export": "pdf"}).status_code == 404


def test_someone_without_a_role_may_not_see_actions(client, audit):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="nobody"))
    assert client.get(reverse("action_list")).status_code == 403
    assert client.get(audit.actions.first().get_absolute_url()).status_code == 403


def test_the_force_page_counts_change_when_an_action_is_put_right(client, audit, contact, supervisor):
    # The force contact and the national page read published results; the actions' counts beside them are live.
    audit_publish(audit=audit, by=supervisor)
    client.force_login(contact)
    url = reverse("force_results", args=["northamptonshire"])
    assert "2 actions: 0 put right, 0 overdue, 2 open" in client.get(url).content.decode()
    action = audit.actions.filter(kind=ActionKind.TELL_VICTIM).first()
    action_record_outcome(action=action, outcome=ActionOutcome.VICTIM_TOLD, victim_told_on=date(2026, 5, 1), by=contact)
    action_accept(action=action, by=supervisor)
    page = client.get(url).content.decode()
    assert "2 actions: 1 put right, 0 overdue, 1 open" in page

    client.force_login(supervisor)
    national = client.get(reverse("national_comparison")).content.decode()
    assert "25.0% (1 of 4)" in national
    report = client.get(reverse("force_audit_report", args=["northamptonshire", audit.pk])).content.decode()
    assert report.count("Put right") == 1
    assert "4 actions raised at sign-off" in report


def test_the_national_page_kept_in_the_cache_still_shows_each_action_put_right(client, audit, contact, supervisor):
    client.force_login(supervisor)
    national = reverse("national_comparison")
    assert "0.0% (0 of 4)" in client.get(national).content.decode()
    assert "0.0% (0 of 4)" in client.get(national).content.decode()  # the figures, now from the cache
    action = audit.actions.filter(kind=ActionKind.TELL_VICTIM).first()
    action_record_outcome(action=action, outcome=ActionOutcome.VICTIM_TOLD, victim_told_on=date(2026, 5, 1), by=contact)
    action_accept(action=action, by=supervisor)

    assert "25.0% (1 of 4)" in client.get(national).content.decode()


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_actions_list_and_force_page_run_the_same_queries_at_any_size(client, supervisor, auditor, contact):
    audit_publish(
        audit=signed_off_audit(supervisor=supervisor, auditor=auditor, name="First", prefix="NH/A"), by=supervisor
    )
    pages = [reverse("action_list"), reverse("action_list") + "?overdue=yes&kind=reconsider&sort=-due_on"]
    force_page = reverse("force_results", args=["northamptonshire"])
    client.force_login(contact)
    small = [count(client, url) for url in [*pages, force_page]]
    for number in range(3):
        audit = signed_off_audit(supervisor=supervisor, auditor=auditor, name=f"More {number}", prefix=f"NH/M{number}")
        audit_publish(audit=audit, by=supervisor)
        for action in audit.actions.all()[:2]:
            outcome = (
                ActionOutcome.CRIME_REINSTATED if action.kind == ActionKind.RECONSIDER else ActionOutcome.VICTIM_TOLD
            )
            told = date(2026, 5, 1) if outcome == ActionOutcome.VICTIM_TOLD else None
            action_record_outcome(action=action, outcome=outcome, victim_told_on=told, by=contact)
    large = [count(client, url) for url in [*pages, force_page]]
    assert small == large
    # The session, user and roles (3); the count of actions, its access record (3: the row in a savepoint), the
    # contact's force for the navigation, the filters' forces and audits (2), the page of actions with its decisions
    # and crime records (3); saving the session (3).
    assert large[0] == 16
    # The contact's force page reads its published versions: the session, user and roles (3), the force, the
    # published versions, the actions' count, the contact's force for the navigation and the rest of the page's
    # reads, then saving the session (3), whatever the number of audits and actions.
    assert large[2] == 12


def test_someone_who_also_audits_cannot_record_an_outcome_as_the_forces_contact(client, audit, northamptonshire):
    # A force contact is tied to one force and nothing more: an auditor given the role as well still may not.
    dual = UserFactory(username="dual", role=Role.AUDITOR)
    dual.groups.add(Group.objects.get(name=Role.FORCE_CONTACT))
    dual.force = northamptonshire
    dual.save()
    action = audit.actions.filter(kind=ActionKind.TELL_VICTIM).first()
    client.force_login(dual)

    response = client.post(
        reverse("action_outcome", args=[action.pk]),
        {"outcome": ActionOutcome.VICTIM_TOLD, "victim_told_on": "01/05/2026"},
    )

    assert response.status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_a_double_submit_of_an_outcome_or_an_acceptance_says_so_and_changes_nothing(client, audit, contact, supervisor):
    action = audit.actions.filter(kind=ActionKind.TELL_VICTIM).first()
    client.force_login(contact)
    url = reverse("action_outcome", args=[action.pk])
    client.post(url, {"outcome": ActionOutcome.VICTIM_TOLD, "victim_told_on": "01/05/2026"})

    again = client.post(url, {"outcome": ActionOutcome.VICTIM_TOLD, "victim_told_on": "02/05/2026"}, follow=True)

    assert again.status_code == 200
    assert "nothing was changed" in again.content.decode()
    action.refresh_from_db()
    assert (action.status, action.victim_told_on) == (ActionStatus.OUTCOME_RECORDED, date(2026, 5, 1))

    client.force_login(supervisor)
    client.post(reverse("action_accept", args=[action.pk]))
    accepted_again = client.post(reverse("action_accept", args=[action.pk]), follow=True)

    assert accepted_again.status_code == 200
    assert "nothing was changed" in accepted_again.content.decode()
    action.refresh_from_db()
    assert action.status == ActionStatus.PUT_RIGHT


def test_an_audit_in_progress_says_its_actions_come_at_sign_off_not_that_it_found_nothing(client, supervisor, auditor):
    for number in range(2):
        DecisionFactory(crime_record__reference=f"NH/OPEN/{number}", crime_record__offence_category="violence")
    audit = sampled_audit(name="Open", sizes={"violence": 2}, seed=3, auditors=[auditor], by=supervisor)
    for review in primaries(audit):
        submit(review, INCORRECT_TOLD)
    client.force_login(supervisor)

    page = client.get(reverse("force_results", args=[audit.force.code]), {"in_progress": "1"}).content.decode()

    assert "Actions are raised when the audit is signed off." in page
    assert "the audit found no decision to reconsider" not in page
