"""The audit workflow's pages: planning, assignment, the queue, the review page and the supervisor's
return, approval, sign-off and reopening."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from reviews.models import (
    Audit,
    AuditStatus,
    OffenceCategory,
    Review,
    ReviewStatus,
    Verdict,
)
from reviews.quality.services import known_answer_add
from reviews.workflow.services import audit_assign_evenly, review_save
from tests.factories import DecisionFactory, UserFactory, force, sampled_audit

pytestmark = pytest.mark.django_db

COMPLETE = {
    "decision_correct": "yes",
    "victim_should_be_informed": "yes",
    "victim_informed": "yes",
    "notes": "",
}


def decisions(count: int, category=OffenceCategory.VIOLENCE, prefix="NH") -> None:
    for number in range(count):
        DecisionFactory(
            crime_record__reference=f"{prefix}/26/{number:05d}",
            crime_record__offence_category=category,
        )


@pytest.fixture
def audit(supervisor, auditor):
    """An in-progress Northamptonshire audit of 3 violence decisions, all assigned to `auditor`."""
    decisions(3)
    return sampled_audit(
        name="Cancellations Q1", sizes={OffenceCategory.VIOLENCE: 3}, seed=17, auditors=[auditor], by=supervisor
    )


def plan_form(**changes) -> dict:
    """A complete planning form for Northamptonshire's first quarter of 2026, with `changes`."""
    return {
        "force": force().pk,
        "name": "Preview",
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "categories": ["violence"],
        "size_violence": "5",
        "seed": "1",
        **changes,
    }


def queue(audit) -> list[Review]:
    return list(audit.reviews.order_by("sample_position"))


def post_review(client, review, action: str, answers: dict, version: int | None = None):
    review.refresh_from_db()
    data = {**answers, "action": action, "version": review.version if version is None else version}
    return client.post(reverse("review_detail", args=[review.pk]), data)


# Planning


def test_a_supervisor_plans_an_audit_and_its_sample_is_drawn(client, supervisor):
    decisions(30)
    decisions(4, OffenceCategory.RAPE, "RP")
    client.force_login(supervisor)
    page = client.get(reverse("audit_plan"))
    assert page.status_code == 200
    assert "3 of 20 incorrect" not in page.content.decode()
    assert "2 of 20 incorrect" in page.content.decode()

    form = plan_form(
        name="Spring sample", period_start="01/01/2026", categories=["violence", "rape"], size_violence="10"
    )
    response = client.post(
        reverse("audit_plan"), form | {"size_rape": "20", "seed": "555", "action": "plan"}, follow=True
    )

    audit = Audit.objects.get(name="Spring sample")
    assert response.redirect_chain[-1][0] == reverse("audit_detail", args=[audit.pk])
    assert audit.seed == 555
    assert audit.status == AuditStatus.IN_PROGRESS
    assert audit.created_by == supervisor
    assert audit.reviews.count() == 14
    html = response.content.decode()
    assert "Spring sample is planned and its sample drawn." in html
    assert audit.categories.get(offence_category="violence").population_checksum in html
    assert "Taken whole" in html
    assert "fewer than the 20 asked for, so all of them are in the sample" in html


def test_the_planning_form_explains_every_mistake(client, supervisor):
    client.force_login(supervisor)

    response = client.post(
        reverse("audit_plan"),
        {"name": "", "period_start": "31/02/2026", "period_end": "2026-01-01", "seed": "x", "size_rape": "0"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert '<a href="#id_force">Choose the force to audit.</a>' in html
    assert '<a href="#id_name">Enter a name for the audit.</a>' in html
    assert '<a href="#id_period_start">Enter a real date, for example 01/04/2025.</a>' in html
    assert '<a href="#id_categories">Choose at least one offence category to sample.</a>' in html
    assert '<a href="#id_seed">Enter a seed as a whole number.</a>' in html
    assert Audit.objects.count() == 0


def test_the_margin_of_error_helper_follows_the_size_entered_without_saving(client, supervisor):
    client.force_login(supervisor)

    response = client.post(reverse("audit_plan"), plan_form(size_violence="100", action="margins"))

    html = response.content.decode()
    assert "How precise is a sample of <span data-margin-size>100</span>?" in html
    assert "10 of 100 incorrect" in html
    assert Audit.objects.count() == 0


def test_a_duplicate_audit_name_is_reported_on_the_form(client, supervisor, audit):
    client.force_login(supervisor)

    response = client.post(reverse("audit_plan"), plan_form(name="Cancellations Q1"))

    assert "This force already has an audit with this name." in response.content.decode()
    assert Audit.objects.count() == 1


def test_extend_sample_adds_decisions_and_keeps_those_drawn(client, supervisor):
    decisions(10)
    audit = sampled_audit(name="Small", sizes={"violence": 3}, seed=9)
    before = set(audit.reviews.values_list("decision_id", flat=True))
    client.force_login(supervisor)

    response = client.post(reverse("audit_extend", args=[audit.pk]), {"extra_per_category": "2"}, follow=True)

    assert "2 decisions added to the sample." in response.content.decode()
    assert before < set(audit.reviews.values_list("decision_id", flat=True))
    assert audit.reviews.count() == 5


# Assignment


def test_assigning_evenly_shares_the_reviews_between_the_auditors_chosen(client, supervisor, auditor):
    decisions(5)
    other = UserFactory(username="auditor2", role=Role.AUDITOR)
    audit = sampled_audit(name="Shared", sizes={"violence": 5}, seed=9)
    client.force_login(supervisor)

    response = client.post(
        reverse("audit_assign", args=[audit.pk]), {"auditors": [auditor.pk, other.pk], "action": "evenly"}, follow=True
    )

    assert "5 reviews assigned." in response.content.decode()
    loads = sorted(audit.reviews.filter(auditor__isnull=False).values_list("auditor", flat=True))
    assert sorted([loads.count(auditor.pk), loads.count(other.pk)]) == [2, 3]


def test_assigning_one_by_one_moves_a_review_to_another_auditor(client, supervisor, audit, auditor):
    other = UserFactory(username="auditor2", role=Role.AUDITOR)
    first, second, _ = queue(audit)
    client.force_login(supervisor)
    page = client.get(reverse("audit_assign", args=[audit.pk]))
    assert f'name="review-{first.pk}"' in page.content.decode()

    client.post(
        reverse("audit_assign", args=[audit.pk]),
        {f"review-{first.pk}": other.pk, f"review-{second.pk}": auditor.pk, "action": "one_by_one"},
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.auditor == other
    assert second.auditor == auditor


def test_a_refused_reassignment_leaves_every_review_with_its_auditor(client, supervisor, audit, auditor):
    other = UserFactory(username="auditor2", role=Role.AUDITOR)
    first, second, _ = queue(audit)
    client.force_login(auditor)
    post_review(client, second, "submit", COMPLETE)
    client.force_login(supervisor)

    response = client.post(
        reverse("audit_assign", args=[audit.pk]),
        {f"review-{first.pk}": other.pk, f"review-{second.pk}": other.pk, "action": "one_by_one"},
        follow=True,
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.auditor, second.auditor) == (auditor, auditor)
    page = response.content.decode()
    assert "A submitted review stays with the auditor who made it." in page
    assert "No review was reassigned." in page


def test_only_auditors_can_be_assigned(client, supervisor, audit):
    first = queue(audit)[0]
    client.force_login(supervisor)

    response = client.post(
        reverse("audit_assign", args=[audit.pk]), {f"review-{first.pk}": supervisor.pk, "action": "one_by_one"}
    )

    first.refresh_from_db()
    assert first.auditor.username == "auditor"
    assert response.status_code == 302


# The auditor's queue and review page


def test_my_reviews_lists_the_auditors_reviews_with_progress(client, audit, auditor):
    first = queue(audit)[0]
    review_save(
        review=first,
        by=auditor,
        answers=COMPLETE | {"victim_should_be_informed": True},
        version=first.version,
        submit=True,
    )
    client.force_login(auditor)

    response = client.get(reverse("review_queue"))

    html = response.content.decode()
    assert "1 of 3 done" in html
    assert len(response.context["table"].rows) == 3
    filtered = client.get(reverse("review_queue"), {"status": "to_do", "audit": audit.pk, "category": "violence"})
    assert "0 of 2 done" in filtered.content.decode()
    assert len(filtered.context["table"].rows) == 2


def test_the_review_page_shows_the_decision_in_full_beside_the_form(client, audit, auditor):
    review = queue(audit)[0]
    client.force_login(auditor)

    html = client.get(reverse("review_detail", args=[review.pk])).content.decode()

    record = review.decision.crime_record
    for text in (
        record.reference,
        "Violence against the person",
        "8N",
        "10 January 2026",
        "1 February 2026",
        "C2: additional verifiable information shows that no notifiable crime occurred",
        "Designated decision maker",
        "Body-worn video shows no offence took place.",
    ):
        assert text in html, text
    for button in ("Save and next", "Save draft", "Submit"):
        assert (
            f'value="{"next" if button == "Save and next" else button.split()[-1].lower()}">{button}</button>' in html
        )
    assert "<script>" not in html
    assert 'style="' not in html


def test_save_draft_keeps_partial_answers(client, audit):
    review = queue(audit)[0]
    client.force_login(review.auditor)

    response = post_review(client, review, "draft", {"decision_correct": "no"})

    review.refresh_from_db()
    assert response.status_code == 302
    assert review.status == ReviewStatus.DRAFT
    assert review.decision_correct == Verdict.NO


def test_submit_needs_a_reason_and_a_note_when_the_decision_was_wrong(client, audit):
    review = queue(audit)[0]
    client.force_login(review.auditor)

    response = post_review(client, review, "submit", COMPLETE | {"decision_correct": "no"})

    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="#id_incorrect_reason">Select why the decision was incorrect.</a>' in html
    assert '<a href="#id_notes">Explain in the notes why the decision was incorrect.</a>' in html
    assert 'id="id_incorrect_reason" name="incorrect_reason"' in html
    review.refresh_from_db()
    assert review.status == ReviewStatus.TO_DO


def test_submit_needs_the_victim_answers_that_apply(client, audit):
    review = queue(audit)[0]
    client.force_login(review.auditor)

    missing = post_review(client, review, "submit", {"decision_correct": "yes", "victim_should_be_informed": "yes"})
    assert "Select whether the victim was informed." in missing.content.decode()
    not_needed = post_review(client, review, "submit", {"decision_correct": "yes", "victim_should_be_informed": "no"})
    assert "Select why the victim did not need to be informed." in not_needed.content.decode()
    nothing = post_review(client, review, "submit", {})
    assert "Select whether the decision was correct." in nothing.content.decode()
    assert "Select whether the victim should have been informed." in nothing.content.decode()


def test_answers_to_questions_that_no_longer_apply_are_dropped(client, audit):
    """Without JavaScript every follow-up question is visible, so an earlier choice can linger there."""
    review = queue(audit)[0]
    client.force_login(review.auditor)

    post_review(
        client,
        review,
        "submit",
        COMPLETE | {"incorrect_reason": "wrong_criterion", "no_need_to_inform_reason": "safeguarding"},
    )

    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert review.incorrect_reason == ""
    assert review.no_need_to_inform_reason == ""


def test_save_and_next_submits_and_opens_the_next_unfinished_review(client, audit):
    first, second, third = queue(audit)
    client.force_login(first.auditor)

    response = post_review(client, first, "next", COMPLETE)
    assert response["Location"] == reverse("review_detail", args=[second.pk])
    post_review(client, third, "next", COMPLETE)
    response = post_review(client, second, "next", COMPLETE)

    assert response["Location"] == reverse("review_queue")
    assert set(audit.reviews.values_list("status", flat=True)) == {ReviewStatus.SUBMITTED}


def test_a_save_based_on_an_older_version_is_refused_and_the_first_kept(client, audit):
    review = queue(audit)[0]
    client.force_login(review.auditor)
    review.refresh_from_db()
    opened = review.version
    post_review(client, review, "draft", {"decision_correct": "yes"}, version=opened)

    response = post_review(client, review, "draft", {"decision_correct": "cannot_tell"}, version=opened)

    review.refresh_from_db()
    assert review.decision_correct == Verdict.YES
    page = client.get(response["Location"]).content.decode()
    assert "Someone else saved this review after you opened it." in page


def test_a_double_clicked_submit_saves_once(client, audit):
    review = queue(audit)[0]
    client.force_login(review.auditor)
    review.refresh_from_db()
    version = review.version

    first = post_review(client, review, "submit", COMPLETE, version=version)
    second = post_review(client, review, "submit", COMPLETE, version=version)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == reverse("review_queue")
    assert review.history.filter(history_change_reason="Submitted").count() == 1
    assert "Someone else saved" not in client.get(second["Location"]).content.decode()


def test_an_auditor_cannot_open_another_auditors_review(client, audit):
    review = queue(audit)[0]
    client.force_login(UserFactory(username="auditor2", role=Role.AUDITOR))

    assert client.get(reverse("review_detail", args=[review.pk])).status_code == 404
    assert client.post(reverse("review_detail", args=[review.pk]), {"action": "submit"}).status_code == 404


# Oversight


def submit_all(audit) -> None:
    for review in queue(audit):
        answers = {
            "decision_correct": Verdict.YES,
            "victim_should_be_informed": True,
            "victim_informed": "yes",
        }
        review_save(review=review, by=review.auditor, answers=answers, version=review.version, submit=True)


def test_a_supervisor_returns_a_review_with_a_comment_and_the_auditor_sees_it(client, audit, supervisor):
    submit_all(audit)
    review = queue(audit)[0]
    client.force_login(supervisor)
    empty = client.post(reverse("review_return", args=[review.pk]), {"text": " "})
    assert "Enter what the auditor needs to change." in empty.content.decode()

    client.post(reverse("review_return", args=[review.pk]), {"text": "Check the victim contact log."})

    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    client.force_login(review.auditor)
    page = client.get(reverse("review_detail", args=[review.pk])).content.decode()
    assert "Returned by your supervisor" in page
    assert "Check the victim contact log." in page
    queue_page = client.get(reverse("review_queue")).content.decode()
    assert "Returned" in queue_page


def test_sign_off_needs_every_review_approved_and_locks_the_audit(client, audit, supervisor):
    submit_all(audit)
    client.force_login(supervisor)
    refused = client.post(reverse("audit_sign_off", args=[audit.pk]))
    assert "3 reviews are not approved yet" in refused.content.decode()

    first = queue(audit)[0]
    client.post(reverse("review_approve", args=[first.pk]))
    client.post(reverse("audit_approve", args=[audit.pk]))
    response = client.post(reverse("audit_sign_off", args=[audit.pk]), follow=True)

    audit.refresh_from_db()
    assert audit.status == AuditStatus.SIGNED_OFF
    assert audit.signed_off_by == supervisor
    assert "The audit is signed off." in response.content.decode()


def test_a_second_sign_off_is_told_someone_else_signed_off_first(client, audit, supervisor):
    from tests.factories import UserFactory

    submit_all(audit)
    client.force_login(supervisor)
    client.post(reverse("audit_approve", args=[audit.pk]))
    client.post(reverse("audit_sign_off", args=[audit.pk]))
    colleague = UserFactory(username="second-lead", first_name="Sam", last_name="Lee", role=Role.SUPERVISOR)
    client.force_login(colleague)

    page = client.post(reverse("audit_sign_off", args=[audit.pk]), follow=True).content.decode()

    audit.refresh_from_db()
    assert audit.signed_off_by == supervisor
    assert f"{supervisor} had already signed this audit off" in page
    assert "Nothing was changed." in page


def test_reopening_needs_a_reason_and_the_reason_is_kept(client, audit, supervisor):
    submit_all(audit)
    client.force_login(supervisor)
    client.post(reverse("audit_approve", args=[audit.pk]))
    client.post(reverse("audit_sign_off", args=[audit.pk]))

    empty = client.post(reverse("audit_reopen", args=[audit.pk]), {"text": ""})
    assert "Enter why the audit is being reopened." in empty.content.decode()
    client.post(reverse("audit_reopen", args=[audit.pk]), {"text": "The force sent a corrected extract."})

    audit.refresh_from_db()
    assert audit.status == AuditStatus.IN_PROGRESS
    assert audit.signed_off_at is None
    record = audit.history.latest("history_date")
    assert record.history_change_reason == "Reopened: The force sent a corrected extract."
    assert record.history_user == supervisor
    page = client.get(reverse("audit_detail", args=[audit.pk])).content.decode()
    assert "Reopened: The force sent a corrected extract." in page


def test_supervisors_see_each_change_to_a_review_with_who_when_before_and_after(client, audit, supervisor, auditor):
    review = queue(audit)[0]
    review_save(
        review=review, by=auditor, answers={"decision_correct": Verdict.NO}, version=review.version, submit=False
    )
    client.force_login(supervisor)

    html = client.get(reverse("review_detail", args=[review.pk])).content.decode()

    history = html.split('<h2 class="govuk-heading-m">History</h2>')[1]
    assert "Assigned to" in history
    assert str(auditor) in history
    assert "Was the decision correct?" in history
    assert "(none)" in history
    assert "No</td>" in history
    client.force_login(auditor)
    assert "History</h2>" not in client.get(reverse("review_detail", args=[review.pk])).content.decode()


def test_a_force_contact_sees_their_forces_published_audit_without_who_reviewed_what(client, audit, force_contact):
    from reviews.results.publishing import audit_publish
    from reviews.workflow.services import audit_approve_submitted, audit_sign_off

    submit_all(audit)
    audit_approve_submitted(audit=audit, by=audit.created_by)
    audit_sign_off(audit=audit, by=audit.created_by)
    client.force_login(force_contact)
    # Signed off, not yet published: not the force's to read.
    assert client.get(reverse("audit_detail", args=[audit.pk])).status_code == 404
    audit_publish(audit=audit, by=audit.created_by)

    html = client.get(reverse("audit_detail", args=[audit.pk])).content.decode()

    assert "Cancellations Q1" in html
    assert audit.categories.get().population_checksum in html
    assert "Progress by auditor" not in html
    assert str(queue(audit)[0].auditor) not in html


def test_a_double_clicked_plan_or_extension_happens_once(client, supervisor):
    decisions(12)
    client.force_login(supervisor)
    form = plan_form(name="Twice", size_violence="3", action="plan")

    first = client.post(reverse("audit_plan"), form)
    second = client.post(reverse("audit_plan"), form)

    audit = Audit.objects.get(name="Twice")
    assert first["Location"] == second["Location"] == reverse("audit_detail", args=[audit.pk])
    assert audit.reviews.count() == 3
    page = client.get(reverse("audit_extend", args=[audit.pk]))
    total = page.context["form"]["sample_total"].value()
    assert total == 3
    for _ in range(2):
        client.post(reverse("audit_extend", args=[audit.pk]), {"extra_per_category": "2", "sample_total": total})
    assert audit.reviews.count() == 5
    assert audit.categories.get().sample_size == 5


def test_an_empty_category_is_said_to_have_nothing_to_sample(client, supervisor):
    decisions(2)
    audit = sampled_audit(name="Sparse", sizes={"violence": 5, "robbery": 5})
    client.force_login(supervisor)

    html = client.get(reverse("audit_detail", args=[audit.pk])).content.decode()

    assert "Robbery: the force had no decisions in this category in the period" in html
    assert "the force had 2 decisions in the period, fewer than the 5 asked for" in html


def test_a_review_form_without_its_version_is_refused_without_saving(client, audit):
    review = queue(audit)[0]
    client.force_login(review.auditor)

    response = client.post(reverse("review_detail", args=[review.pk]), {**COMPLETE, "action": "submit"})

    assert "The form was incomplete. Open the review again" in response.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.TO_DO


# Known-answer items look like any other to auditors


@pytest.fixture
def with_known_answer(supervisor, auditor):
    """An audit of 4 drawn violence decisions (references A... and Z...) and a known-answer item (M...) between
    them, all assigned to `auditor`."""
    decisions(2, prefix="A")
    decisions(2, prefix="Z")
    audit = sampled_audit(name="Spring", sizes={OffenceCategory.VIOLENCE: 4}, seed=3, by=supervisor)
    DecisionFactory(crime_record__reference="M/26/00000", crime_record__offence_category=OffenceCategory.VIOLENCE)
    known_answer_add(audit=audit, reference="M/26/00000", decision_correct="yes", source="2025", by=supervisor)
    audit_assign_evenly(audit=audit, auditors=[auditor], by=supervisor)
    return audit


def draw_details(audit) -> list[str]:
    category = audit.categories.get()
    return ["Seed</dt>", f">{audit.seed}<", category.population_checksum, "Population checksum", "Drawn</th>"]


def test_an_auditor_sees_nothing_that_reproduces_the_draw(client, with_known_answer, auditor):
    client.force_login(auditor)

    html = client.get(reverse("audit_detail", args=[with_known_answer.pk])).content.decode()

    assert "Offence categories" in html
    assert OffenceCategory.VIOLENCE.label in html
    for detail in draw_details(with_known_answer):
        assert detail not in html
    assert "known" not in html.lower()


def test_a_supervisor_still_sees_the_seed_and_checksums(client, with_known_answer, supervisor):
    client.force_login(supervisor)

    html = client.get(reverse("audit_detail", args=[with_known_answer.pk])).content.decode()

    for detail in draw_details(with_known_answer):
        assert detail in html


def test_the_queue_does_not_set_a_known_answer_item_apart(client, with_known_answer, auditor):
    client.force_login(auditor)

    page = client.get(reverse("review_queue"))

    listed = [review.decision.crime_record.reference for review in page.context["table"].data]
    assert listed == ["A/26/00000", "A/26/00001", "M/26/00000", "Z/26/00000", "Z/26/00001"]
    by_category = client.get(reverse("review_queue"), {"sort": "category"}).context["table"].data
    assert [review.decision.crime_record.reference for review in by_category] == listed


def test_save_and_next_goes_through_the_queue_in_the_same_order(client, with_known_answer, auditor):
    first = with_known_answer.reviews.get(decision__crime_record__reference="A/26/00001")
    client.force_login(auditor)

    response = post_review(client, first, "next", COMPLETE)

    assert (
        response["Location"]
        == with_known_answer.reviews.get(decision__crime_record__reference="M/26/00000").get_absolute_url()
    )


def test_an_auditors_downloads_do_not_set_a_known_answer_item_apart(client, with_known_answer, auditor):
    for review in with_known_answer.reviews.all():
        answers = {"decision_correct": "yes", "victim_should_be_informed": True, "victim_informed": "yes"}
        review_save(review=review, by=auditor, answers=answers, version=review.version, submit=True)
    client.force_login(auditor)

    reviews = client.get(reverse("export", args=["reviews", "csv"]), {"audit": with_known_answer.pk})
    results = client.get(reverse("export", args=["results", "csv"]), {"audit": with_known_answer.pk})

    # Reviews come by category and crime reference, not in the order they were added to the audit.
    lines = b"".join(reviews.streaming_content).decode("utf-8-sig").splitlines()
    listed = [line.split(",")[2] for line in lines[1:]]
    assert listed == ["A/26/00000", "A/26/00001", "M/26/00000", "Z/26/00000", "Z/26/00001"]
    # The results of an audit in progress, which leave known-answer items out, are not the auditor's to compare.
    rows = b"".join(results.streaming_content).decode("utf-8-sig").splitlines()
    assert rows[1:] == []
