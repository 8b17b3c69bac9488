"""Issue 7: blind second reviews, disagreements and their resolution, agreement and known-answer items.

Acceptance 1 (selection), 2 (blindness) and 4 (sign-off blocked with a link) are shown here; 3 (reference
values for kappa and AC1) in test_agreement.py; 5 in tests/browser/test_quality_assurance.py.
"""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.roles import Role
from reviews.models import (
    AuditStatus,
    Disagreement,
    OffenceCategory,
    Review,
    ReviewKind,
    ReviewStatus,
    Verdict,
    VictimInformed,
)
from reviews.quality.agreement import KAPPA_SAME_VERDICT, agreement
from reviews.quality.qa import second_review_count
from reviews.quality.selectors import audit_agreement
from reviews.quality.services import audit_set_second_review_share, disagreement_resolve, known_answer_add
from reviews.results.selectors import Scope, force_results
from reviews.workflow.planning import audit_draw_sample
from reviews.workflow.selectors import audit_progress_by_auditor
from reviews.workflow.services import (
    audit_approve_submitted,
    audit_assign_evenly,
    audit_sign_off,
    review_assign,
    review_save,
)
from tests.factories import DecisionFactory, UserFactory, force, sampled_audit
from tests.reviews.quality.pairs import CORRECT, FIRST_SENTINEL, INCORRECT, SECOND_SENTINEL, decisions, pair, submit

pytestmark = pytest.mark.django_db

# --- Acceptance 1: selection -----------------------------------------------------------------------------------------


def test_second_reviews_follow_the_share_in_every_category_and_the_seed(supervisor):
    decisions(17, OffenceCategory.VIOLENCE)
    decisions(6, OffenceCategory.ROBBERY)
    sizes = {OffenceCategory.VIOLENCE: 15, OffenceCategory.ROBBERY: 6}
    first = sampled_audit(name="First", sizes=sizes, seed=42, by=supervisor)
    again = sampled_audit(name="Again", sizes=sizes, seed=42, by=supervisor)
    other = sampled_audit(name="Other", sizes=sizes, seed=43, by=supervisor)
    for audit in (first, again, other):
        audit_set_second_review_share(audit=audit, share=30, by=supervisor)

    def chosen(audit):
        return {
            category: sorted(
                audit.reviews.filter(
                    kind=ReviewKind.SECOND, decision__crime_record__offence_category=category
                ).values_list("decision__crime_record__reference", flat=True)
            )
            for category in sizes
        }

    for category, size in sizes.items():
        count = len(chosen(first)[category])
        assert count == second_review_count(size=size, share=30)
        assert size * 30 / 100 <= count < size * 30 / 100 + 1  # within one item of the share
    assert chosen(first) == chosen(again)
    assert chosen(first) != chosen(other)
    for second in first.reviews.filter(kind=ReviewKind.SECOND):
        assert second.primary_review.decision_id == second.decision_id


def test_extending_the_sample_keeps_the_second_reviews_and_tops_them_up(supervisor):
    decisions(20)
    audit = sampled_audit(name="Growing", sizes={OffenceCategory.VIOLENCE: 10}, seed=8, by=supervisor)
    audit_set_second_review_share(audit=audit, share=20, by=supervisor)
    before = set(audit.reviews.filter(kind=ReviewKind.SECOND).values_list("decision_id", flat=True))
    assert len(before) == 2

    audit_draw_sample(audit=audit, extra_per_category=5, by=supervisor)
    after = set(audit.reviews.filter(kind=ReviewKind.SECOND).values_list("decision_id", flat=True))

    assert before < after
    assert len(after) == 3
    assert audit_set_second_review_share(audit=audit, share=20, by=supervisor) == 0  # repeating adds nothing


def test_the_share_is_set_on_the_planning_page(client, supervisor):
    decisions(10)
    client.force_login(supervisor)
    form = {
        "force": force().pk,
        "name": "Planned with QA",
        "period_start": "01/01/2026",
        "period_end": "31/03/2026",
        "categories": ["violence"],
        "size_violence": "10",
        "second_review_share": "20",
        "seed": "3",
        "action": "plan",
    }
    client.post(reverse("audit_plan"), form)
    audit = force().audits.get(name="Planned with QA")
    assert audit.second_review_share == 20
    assert audit.reviews.filter(kind=ReviewKind.SECOND).count() == 2

    response = client.post(reverse("audit_plan"), {**form, "name": "Too much", "second_review_share": "101"})
    assert "The second review share must be a whole number from 0 to 100." in response.content.decode()


def test_the_share_can_be_changed_until_sign_off(client, paired, supervisor):
    client.force_login(supervisor)
    response = client.post(
        reverse("audit_second_reviews", args=[paired.pk]), {"second_review_share": "50"}, follow=True
    )
    assert "The second review share is 50%." in response.content.decode()
    paired.refresh_from_db()
    assert paired.second_review_share == 50


# --- Different auditors ------------------------------------------------------------------------------------------


def test_assigning_evenly_never_gives_a_second_review_to_the_primary_auditor(paired):
    for primary, second in (pair_ for pair_ in ((r, r.second_review) for r in paired.reviews.filter(kind="primary"))):
        assert primary.auditor_id
        assert second.auditor_id
        assert primary.auditor_id != second.auditor_id


def test_a_second_review_waits_when_only_one_auditor_is_chosen(supervisor, auditor):
    decisions(3)
    audit = sampled_audit(name="Alone", sizes={OffenceCategory.VIOLENCE: 3}, seed=2, by=supervisor)
    audit_set_second_review_share(audit=audit, share=100, by=supervisor)
    assert audit_assign_evenly(audit=audit, auditors=[auditor], by=supervisor) == 3
    assert not audit.reviews.filter(kind=ReviewKind.SECOND, auditor__isnull=False).exists()


def test_assigning_one_review_to_the_other_reviews_auditor_is_refused_both_ways(paired, supervisor):
    primary, second = pair(paired)
    with pytest.raises(ValidationError, match="different auditor"):
        review_assign(review=second, auditor=primary.auditor, by=supervisor)
    with pytest.raises(ValidationError, match="different auditor"):
        review_assign(review=primary, auditor=second.auditor, by=supervisor)


# --- Acceptance 2: blindness -------------------------------------------------------------------------------------


def pages_of(client, user, audit) -> str:
    """Everything an auditor can open about the audit: home, queue, audit page and each of their reviews."""
    client.force_login(user)
    urls = [reverse("home"), reverse("review_queue"), reverse("review_queue") + f"?audit={audit.pk}"]
    urls.append(audit.get_absolute_url())
    urls += [review.get_absolute_url() for review in audit.reviews.filter(auditor=user)]
    contents = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        contents.append(f"{url}: {response.content.decode()}")
    return "\n".join(contents)


@pytest.mark.parametrize("first_kind", [ReviewKind.PRIMARY, ReviewKind.SECOND])
def test_neither_auditor_sees_the_others_verdict_or_notes(client, paired, first_kind):
    primary, second = pair(paired)
    first, other = (primary, second) if first_kind == ReviewKind.PRIMARY else (second, primary)
    submit(first, INCORRECT)

    before = pages_of(client, other.auditor, paired)
    assert FIRST_SENTINEL not in before
    # The other review's page is not theirs to open.
    assert client.get(first.get_absolute_url()).status_code == 404

    submit(other, {**CORRECT, "notes": SECOND_SENTINEL})
    after_other = pages_of(client, other.auditor, paired)
    after_first = pages_of(client, first.auditor, paired)
    assert FIRST_SENTINEL not in after_other
    assert SECOND_SENTINEL not in after_first
    for url in (reverse("disagreement_list"), Disagreement.objects.get().get_absolute_url()):
        assert client.get(url).status_code == 403


def download(client, table: str, audit) -> str:
    response = client.get(reverse("export", args=[table, "csv"]), {"audit": audit.pk})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_the_second_auditors_downloads_hide_the_first_verdict_until_the_audit_is_signed_off(client, paired, supervisor):
    primary, second = pair(paired)
    submit(primary, INCORRECT)
    client.force_login(second.auditor)

    assert FIRST_SENTINEL not in download(client, "reviews", paired)
    results = list(csv.DictReader(io.StringIO(download(client, "results", paired))))
    assert sum(int(row["incorrect"]) for row in results) == 0, "the first verdict is not counted for them"

    submit(second, CORRECT)
    assert FIRST_SENTINEL not in download(client, "reviews", paired), "both submitted, the disagreement still open"

    for review in paired.reviews.filter(kind__in=ReviewKind.blind_pair()).exclude(pk__in=[primary.pk, second.pk]):
        submit(review, CORRECT)
    disagreement_resolve(disagreement=Disagreement.objects.get(), by=supervisor, answers=INCORRECT, reason="Agreed")
    audit_approve_submitted(audit=paired, by=supervisor)
    audit_sign_off(audit=paired, by=supervisor)
    assert FIRST_SENTINEL in download(client, "reviews", paired)


def test_the_results_download_counts_the_final_verdict_of_a_resolved_disagreement(client, paired, supervisor):
    primary, second = pair(paired)
    submit(primary, CORRECT)
    submit(second, INCORRECT)
    disagreement = Disagreement.objects.get()
    disagreement_resolve(
        disagreement=disagreement, by=supervisor, answers=INCORRECT, reason="The second reading is right."
    )
    client.force_login(supervisor)

    results = list(csv.DictReader(io.StringIO(download(client, "results", paired))))

    assert sum(int(row["incorrect"]) for row in results) == 1
    assert sum(int(row["decisions_reviewed"]) for row in results) == 1


# --- Disagreements -----------------------------------------------------------------------------------------------


def test_different_verdicts_make_one_disagreement_even_when_submitted_twice(paired):
    primary, second = pair(paired)
    submit(primary, CORRECT)
    submit(second, INCORRECT)
    # The same submission again (a double click): nothing new.
    review_save(review=second, by=second.auditor, answers=INCORRECT, version=second.version - 1, submit=True)

    disagreement = Disagreement.objects.get()
    assert (disagreement.primary_review, disagreement.second_review) == (primary, second)
    assert disagreement.decision_correct_differs
    assert disagreement.victim_informed_differs
    assert not disagreement.is_resolved


def test_agreeing_verdicts_make_no_disagreement(paired):
    primary, second = pair(paired)
    submit(primary, CORRECT)
    submit(second, {**CORRECT, "notes": "Agree."})
    assert not Disagreement.objects.exists()


def test_a_difference_in_victim_informed_alone_is_a_disagreement(paired):
    primary, second = pair(paired)
    submit(primary, CORRECT)
    submit(second, {**CORRECT, "victim_informed": "no_record"})
    disagreement = Disagreement.objects.get()
    assert disagreement.victim_informed_differs
    assert not disagreement.decision_correct_differs
    assert disagreement.differs_on == "Victim informed"


def test_resolving_records_the_final_verdict_and_keeps_both_reviews(paired, supervisor):
    primary, second = pair(paired)
    submit(primary, CORRECT)
    submit(second, INCORRECT)
    disagreement = Disagreement.objects.get()

    with pytest.raises(ValidationError):
        disagreement_resolve(disagreement=disagreement, by=supervisor, answers=INCORRECT, reason="  ")
    final_answers = {**INCORRECT, "notes": "The further information was not verified."}
    disagreement_resolve(disagreement=disagreement, by=supervisor, answers=final_answers, reason="Read the file.")
    disagreement_resolve(disagreement=disagreement, by=supervisor, answers=final_answers, reason="Read the file.")

    disagreement.refresh_from_db()
    final = disagreement.final_review
    assert disagreement.is_resolved
    assert disagreement.resolved_by == supervisor
    assert (final.kind, final.status, final.decision_correct) == (ReviewKind.FINAL, ReviewStatus.APPROVED, "no")
    assert Review.objects.filter(kind=ReviewKind.FINAL).count() == 1
    primary.refresh_from_db()
    second.refresh_from_db()
    assert (primary.decision_correct, second.decision_correct) == (Verdict.YES, Verdict.NO)
    assert primary.history.count() >= 3
    assert second.history.filter(history_change_reason="Submitted").exists()
    assert disagreement.history.filter(history_change_reason="Resolved").exists()


def test_results_count_the_final_verdict_once_and_leave_known_answers_out(paired, supervisor, auditor):
    DecisionFactory(crime_record__reference="NH/KNOWN/1", crime_record__offence_category=OffenceCategory.VIOLENCE)
    known_answer_add(
        audit=paired, reference="NH/KNOWN/1", decision_correct="no", source="2025 inspection", by=supervisor
    )
    audit_assign_evenly(audit=paired, auditors=[auditor], by=supervisor)
    primary, second = pair(paired)
    for review in paired.reviews.filter(kind__in=ReviewKind.blind_pair()).exclude(pk__in=[primary.pk, second.pk]):
        submit(review, CORRECT)
    submit(primary, CORRECT)
    submit(second, INCORRECT)
    disagreement_resolve(disagreement=Disagreement.objects.get(), by=supervisor, answers=INCORRECT, reason="Agreed")
    audit_approve_submitted(audit=paired, by=supervisor)
    audit_sign_off(audit=paired, by=supervisor)

    results = force_results(force=paired.force, user=supervisor, scope=Scope())
    figures = results.total
    # 4 sampled decisions, one verdict each (the final one where it was disputed); the known answer left out.
    assert figures.reviewed == 4
    assert figures.incorrect == 1


# --- Acceptance 4: sign-off ----------------------------------------------------------------------------------------


def disagree_and_approve(audit, supervisor) -> Disagreement:
    """Every review of `audit` submitted (the first pair disagreeing) and approved."""
    primary, second = pair(audit)
    for review in audit.reviews.filter(kind__in=ReviewKind.blind_pair()).exclude(pk=second.pk):
        submit(review, CORRECT)
    submit(second, INCORRECT)
    audit_approve_submitted(audit=audit, by=supervisor)
    return Disagreement.objects.get()


def test_sign_off_is_refused_while_a_disagreement_is_unresolved_with_a_link_to_it(client, paired, supervisor):
    disagreement = disagree_and_approve(paired, supervisor)
    client.force_login(supervisor)

    response = client.post(reverse("audit_sign_off", args=[paired.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "1 disagreement between first and second reviews is not resolved" in page
    assert f'href="{disagreement.get_absolute_url()}"' in page
    paired.refresh_from_db()
    assert paired.status == AuditStatus.IN_PROGRESS

    client.post(
        disagreement.get_absolute_url(),
        {**{k: v for k, v in CORRECT.items() if v != ""}, "victim_should_be_informed": "yes", "reason": "Checked."},
    )
    client.post(reverse("audit_sign_off", args=[paired.pk]))
    paired.refresh_from_db()
    assert paired.status == AuditStatus.SIGNED_OFF


def test_sign_off_waits_for_unfinished_second_reviews(paired, supervisor):
    for review in paired.reviews.filter(kind=ReviewKind.PRIMARY):
        submit(review, CORRECT)
    audit_approve_submitted(audit=paired, by=supervisor)
    with pytest.raises(ValidationError, match="4 reviews are not approved yet"):
        audit_sign_off(audit=paired, by=supervisor)


def test_the_resolution_page_shows_both_reviews_and_refuses_a_missing_reason(client, paired, supervisor):
    disagreement = disagree_and_approve(paired, supervisor)
    client.force_login(supervisor)

    review_page = client.get(disagreement.primary_review.get_absolute_url()).content.decode()
    assert f'href="{disagreement.get_absolute_url()}"' in review_page
    page = client.get(disagreement.get_absolute_url()).content.decode()
    assert "First review" in page
    assert "Second review" in page
    assert FIRST_SENTINEL in page  # the second review's notes, to the supervisor only

    response = client.post(disagreement.get_absolute_url(), {"decision_correct": "yes"})
    page = response.content.decode()
    assert "Explain why this is the final verdict." in page
    assert "Select whether the victim should have been informed." in page
    disagreement.refresh_from_db()
    assert not disagreement.is_resolved


def test_the_disagreements_list_filters_by_audit_and_status(client, paired, supervisor):
    disagreement = disagree_and_approve(paired, supervisor)
    client.force_login(supervisor)
    reference = disagreement.decision.crime_record.reference

    assert reference in client.get(reverse("disagreement_list") + "?status=open").content.decode()
    assert reference not in client.get(reverse("disagreement_list") + "?status=settled").content.decode()
    assert reference in client.get(reverse("disagreement_list") + f"?audit={paired.pk}").content.decode()


# --- Agreement and known answers on the audit page ----------------------------------------------------------------


def test_the_audit_page_shows_agreement_counted_in_sql_as_the_library_computes_it(client, paired, supervisor):
    answers = [(CORRECT, CORRECT), (CORRECT, INCORRECT), (INCORRECT, INCORRECT), (CORRECT, CORRECT)]
    primaries = list(paired.reviews.filter(kind=ReviewKind.PRIMARY).order_by("sample_position"))
    for primary, (first, second) in zip(primaries, answers, strict=True):
        submit(primary, first)
        submit(primary.second_review, {**second, "notes": second["notes"] and "Other notes."})

    result, victims = audit_agreement(audit=paired)
    expected = agreement(
        [first["decision_correct"] for first, _ in answers],
        [second["decision_correct"] for _, second in answers],
        categories=Verdict.values,
    )
    assert result.overall == expected
    assert [label for label, _ in result.by_category] == ["Violence against the person"]
    assert len(result.by_pair) == 1
    assert "Sam Second" in result.by_pair[0][0]
    assert result.by_pair[0][1] == expected
    # Was the victim informed: yes/no per the answers above, on the same four decisions.
    assert victims.overall == agreement(
        [first["victim_informed"] for first, _ in answers],
        [second["victim_informed"] for _, second in answers],
        categories=VictimInformed.values,
    )

    client.force_login(supervisor)
    page = client.get(paired.get_absolute_url()).content.decode()
    assert f"{expected.kappa.value:.2f}" in page
    assert f"{expected.ac1.value:.2f}" in page


def test_kappa_is_not_computable_when_both_auditors_say_correct_every_time(client, paired, supervisor):
    for primary in paired.reviews.filter(kind=ReviewKind.PRIMARY):
        submit(primary, CORRECT)
        submit(primary.second_review, CORRECT)

    result, victims = audit_agreement(audit=paired)
    assert victims.overall.kappa.value is None
    assert result.overall.kappa.value is None
    assert result.overall.ac1.value == 1.0
    client.force_login(supervisor)
    page = client.get(paired.get_absolute_url()).content.decode()
    assert f"Not computable: {KAPPA_SAME_VERDICT}" in page
    assert ">nan<" not in page.lower()


def test_known_answer_accuracy_is_shown_to_supervisors_only(client, paired, supervisor, auditor):
    DecisionFactory(crime_record__reference="NH/KNOWN/1", crime_record__offence_category=OffenceCategory.VIOLENCE)
    client.force_login(supervisor)
    response = client.post(
        reverse("audit_known_answers", args=[paired.pk]),
        {"reference": "NH/KNOWN/1", "decision_correct": "no", "source": "Settled at the 2025 inspection."},
        follow=True,
    )
    assert "NH/KNOWN/1 added as a known-answer item." in response.content.decode()
    refused = client.post(
        reverse("audit_known_answers", args=[paired.pk]),
        {"reference": "NH/NOPE", "decision_correct": "no", "source": "Nowhere."},
    )
    assert "has no cancelled crime with this reference." in refused.content.decode()
    audit_set_second_review_share(audit=paired, share=100, by=supervisor)
    assert not paired.reviews.filter(kind=ReviewKind.SECOND, decision__crime_record__reference="NH/KNOWN/1").exists()
    known = paired.reviews.get(decision__crime_record__reference="NH/KNOWN/1")
    review_assign(review=known, auditor=auditor, by=supervisor)
    submit(known, CORRECT)  # the settled verdict is "no": a miss

    page = client.get(paired.get_absolute_url()).content.decode()
    assert "Accuracy on known-answer items" in page
    assert "0 (0%)" in page
    client.force_login(auditor)
    assert "Accuracy on known-answer items" not in client.get(paired.get_absolute_url()).content.decode()


def test_a_decision_already_sampled_cannot_be_a_known_answer(paired, supervisor):
    reference = pair(paired)[0].decision.crime_record.reference
    with pytest.raises(ValidationError, match="already in the audit's sample"):
        known_answer_add(audit=paired, reference=reference, decision_correct="yes", source="x", by=supervisor)


def test_a_second_review_is_assigned_one_by_one_but_never_to_the_primary_auditor(client, supervisor, auditor):
    decisions(2)
    audit = sampled_audit(name="One by one", sizes={OffenceCategory.VIOLENCE: 2}, seed=4, by=supervisor)
    audit_set_second_review_share(audit=audit, share=50, by=supervisor)
    audit_assign_evenly(audit=audit, auditors=[auditor], by=supervisor)
    second = audit.reviews.get(kind=ReviewKind.SECOND)
    other = UserFactory(username="other", role=Role.AUDITOR)
    client.force_login(supervisor)
    url = reverse("audit_assign", args=[audit.pk])

    page = client.get(url).content.decode()
    assert "Second review" in page
    assert f'name="review-{second.pk}"' in page
    refused = client.post(url, {"action": "one_by_one", f"review-{second.pk}": auditor.pk}, follow=True)
    assert "different auditor" in refused.content.decode()
    client.post(url, {"action": "one_by_one", f"review-{second.pk}": other.pk})
    second.refresh_from_db()
    assert second.auditor == other


def test_after_sign_off_the_share_known_answers_and_final_verdicts_cannot_change(client, paired, supervisor):
    disagreement = disagree_and_approve(paired, supervisor)
    disagreement_resolve(disagreement=disagreement, by=supervisor, answers=INCORRECT, reason="Read the file.")
    audit_sign_off(audit=paired, by=supervisor)
    client.force_login(supervisor)

    response = client.post(
        disagreement.get_absolute_url(),
        {**CORRECT, "victim_should_be_informed": "yes", "reason": "Changed my mind."},
        follow=True,
    )
    assert "This audit is signed off" in response.content.decode()
    response = client.post(
        reverse("audit_second_reviews", args=[paired.pk]), {"second_review_share": "10"}, follow=True
    )
    assert "This audit is signed off" in response.content.decode()
    disagreement.refresh_from_db()
    assert disagreement.reason == "Read the file."
    assert disagreement.final_review.decision_correct == Verdict.NO


def test_progress_by_auditor_counts_second_reviews_as_their_auditors_work(paired, auditor, second_auditor):
    rows = {row["auditor"]: row["total"] for row in audit_progress_by_auditor(audit=paired)}
    assert rows == {auditor.pk: 4, second_auditor.pk: 4}
