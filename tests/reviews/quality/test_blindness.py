"""Issue 14, item 3: blind means blind. Until an audit is signed off, nothing an auditor can open or download shows
the other verdict (or notes) of a decision they reviewed in a pair, nor anyone else's review not yet submitted.

Every page and download an auditor can reach is asked, in HTML, CSV and XLSX; supervisors, and the auditor once
the audit is signed off, read the same things, which shows each check can fail.
"""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from reviews.models import Disagreement, OffenceCategory, Review, ReviewKind, Verdict
from reviews.quality.services import audit_set_second_review_share, disagreement_resolve
from reviews.workflow.services import audit_approve_submitted, audit_sign_off, review_assign, review_save
from tests.factories import DecisionFactory, UserFactory, sampled_audit

pytestmark = pytest.mark.django_db

PRIMARY_NOTES = "PRIMARY-VERDICT-NOTES-5d1e"
SECOND_NOTES = "SECOND-VERDICT-NOTES-0b6f"
DRAFT_NOTES = "SOMEONE-ELSES-DRAFT-NOTES-a4c9"
OUTSIDE_NOTES = "SUBMITTED-OUTSIDE-THE-PAIR-77b0"
CORRECT = {
    "decision_correct": Verdict.YES,
    "incorrect_reason": "",
    "victim_should_be_informed": True,
    "victim_informed": "yes",
    "no_need_to_inform_reason": "",
    "notes": "",
}
INCORRECT = {
    **CORRECT,
    "decision_correct": Verdict.NO,
    "incorrect_reason": "should_stay_recorded",
    "notes": PRIMARY_NOTES,
}


def save(review: Review, answers: dict, *, submit: bool = True) -> Review:
    review.refresh_from_db()
    return review_save(review=review, by=review.auditor, answers=answers, version=review.version, submit=submit)


@pytest.fixture
def people(supervisor, auditor):
    """The supervisor, the auditor under test (who did the second review), the primary's auditor, and a third."""
    primary_auditor = UserFactory(username="primary", role=Role.AUDITOR)
    third = UserFactory(username="third", role=Role.AUDITOR)
    return {"supervisor": supervisor, "auditor": auditor, "primary_auditor": primary_auditor, "third": third}


@pytest.fixture
def blind_audit(people):
    """Four violence decisions: one reviewed in a pair (the primary by `primary`, said incorrect with notes; the
    second by `auditor`, said correct: an open disagreement), one submitted by `third` outside the pair, one
    `third` has in draft, and one that is `auditor`'s own."""
    for number in range(4):
        DecisionFactory(
            crime_record__reference=f"NH/BLIND/{number}", crime_record__offence_category=OffenceCategory.VIOLENCE
        )
    supervisor = people["supervisor"]
    audit = sampled_audit(name="Blind", sizes={OffenceCategory.VIOLENCE: 4}, seed=3, by=supervisor)
    audit_set_second_review_share(audit=audit, share=25, by=supervisor)
    second = audit.reviews.get(kind=ReviewKind.SECOND)
    primary = second.primary_review
    others = list(audit.reviews.filter(kind=ReviewKind.PRIMARY).exclude(pk=primary.pk).order_by("pk"))
    for review, person in [
        (primary, "primary_auditor"),
        (second, "auditor"),
        (others[0], "third"),
        (others[1], "third"),
        (others[2], "auditor"),
    ]:
        review_assign(review=review, auditor=people[person], by=supervisor)
    save(primary, INCORRECT)
    save(second, {**CORRECT, "notes": SECOND_NOTES})
    save(others[0], {**CORRECT, "notes": OUTSIDE_NOTES})
    save(others[1], {**CORRECT, "notes": DRAFT_NOTES}, submit=False)
    save(others[2], CORRECT)
    assert Disagreement.objects.get().state == "open"
    return audit


def is_spreadsheet(response) -> bool:
    return "spreadsheetml" in response.get("Content-Type", "")


def content_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def rows_of(response) -> list[dict]:
    """The rows of a CSV or XLSX download, by column."""
    if is_spreadsheet(response):
        sheet = load_workbook(io.BytesIO(content_of(response)), read_only=True).worksheets[0]
        header, *rows = list(sheet.iter_rows(values_only=True))
        return [
            {name: "" if value is None else str(value) for name, value in zip(header, row, strict=True)} for row in rows
        ]
    return list(csv.DictReader(io.StringIO(content_of(response).decode("utf-8-sig"))))


def text_of(response) -> str:
    """What a person reads in a response: the page, or every cell of a download."""
    if is_spreadsheet(response):
        return "\n".join("\t".join(row.values()) for row in rows_of(response))
    return content_of(response).decode("utf-8-sig")


def exports(audit) -> list[str]:
    return [
        reverse("export", args=[table, file_format]) + query
        for table in ("reviews", "results", "decisions")
        for file_format in ("csv", "xlsx")
        for query in ("", f"?audit={audit.pk}")
    ]


def auditor_urls(audit, user) -> list[str]:
    """Every page and download an auditor can reach about `audit`."""
    own_reviews = [review.get_absolute_url() for review in audit.reviews.filter(auditor=user)]
    disagreement = Disagreement.objects.get()
    return [
        reverse("home"),
        reverse("review_queue"),
        reverse("review_queue") + f"?audit={audit.pk}",
        audit.get_absolute_url(),
        *own_reviews,
        reverse("disagreement_list"),
        reverse("disagreement_list") + "?status=open",
        disagreement.get_absolute_url(),
        reverse("national_comparison"),
        reverse("national_comparison") + "?in_progress=1",
        reverse("national_comparison") + "?_export=csv&in_progress=1",
        reverse("force_results", args=[audit.force.code]) + "?in_progress=1",
        *exports(audit),
        reverse("admin:index"),
        reverse("admin:reviews_review_changelist"),
        reverse("admin:reviews_review_changelist") + "?q=NH/BLIND",
        reverse("admin:reviews_review_change", args=[disagreement.primary_review_id]),
        reverse("admin:reviews_review_history", args=[disagreement.primary_review_id]),
    ]


@pytest.mark.parametrize(
    ("person", "hidden"),
    [("auditor", PRIMARY_NOTES), ("primary_auditor", SECOND_NOTES)],
    ids=["second-auditor", "primary-auditor"],
)
@pytest.mark.parametrize("staff", [False, True], ids=["", "with-data-administration"])
def test_nothing_an_auditor_opens_or_downloads_shows_the_other_verdict_of_their_pair_or_others_drafts(
    client, blind_audit, people, person, hidden, staff
):
    auditor = people[person]
    auditor.is_staff = staff
    auditor.save()
    client.force_login(auditor)

    for url in auditor_urls(blind_audit, auditor):
        response = client.get(url)
        assert response.status_code < 500, url
        text = text_of(response) if response.status_code == 200 else ""
        assert hidden not in text, url
        assert DRAFT_NOTES not in text, url


def review_rows(client, audit, file_format="csv") -> list[dict]:
    return rows_of(client.get(reverse("export", args=["reviews", file_format]), {"audit": audit.pk}))


def incorrect_counted(client, audit) -> int:
    response = client.get(reverse("export", args=["results", "csv"]), {"audit": audit.pk})
    return sum(int(row["incorrect"]) for row in rows_of(response))


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_auditor_reads_no_one_elses_work_while_the_audit_is_open(client, blind_audit, people, file_format):
    # Not even submitted work outside their pairs: raising the share may yet make it their blind second review.
    client.force_login(people["auditor"])
    notes = [row["notes"] for row in review_rows(client, blind_audit, file_format)]

    assert OUTSIDE_NOTES not in notes
    assert PRIMARY_NOTES not in notes
    assert incorrect_counted(client, blind_audit) == 0, "the primary's 'no' is not counted for the second auditor"


@pytest.mark.parametrize("role", ["supervisor", "data_steward"])
def test_supervisors_and_data_stewards_read_every_verdict_while_the_audit_is_open(
    client, blind_audit, people, role, data_steward
):
    client.force_login(people["supervisor"] if role == "supervisor" else data_steward)
    second = Review.objects.get(kind=ReviewKind.SECOND)

    text = "\n".join(text_of(client.get(url)) for url in exports(blind_audit))
    if role == "data_steward":
        text += client.get(reverse("admin:reviews_review_change", args=[second.pk])).content.decode()

    assert PRIMARY_NOTES in text
    assert DRAFT_NOTES in text
    assert role == "supervisor" or SECOND_NOTES in text
    assert incorrect_counted(client, blind_audit) == 1


def test_once_the_audit_is_signed_off_the_auditor_reads_every_verdict(client, blind_audit, people):
    supervisor = people["supervisor"]
    draft = Review.objects.get(notes=DRAFT_NOTES)
    save(draft, {**CORRECT, "notes": DRAFT_NOTES})
    disagreement_resolve(
        disagreement=Disagreement.objects.get(), by=supervisor, answers=INCORRECT, reason="The record shows no AVI."
    )
    audit_approve_submitted(audit=blind_audit, by=supervisor)
    audit_sign_off(audit=blind_audit, by=supervisor)
    client.force_login(people["auditor"])

    for file_format in ("csv", "xlsx"):
        notes = {row["notes"] for row in review_rows(client, blind_audit, file_format)}
        assert {PRIMARY_NOTES, DRAFT_NOTES} <= notes
    assert incorrect_counted(client, blind_audit) == 1


def admin_audit_results(client) -> list[dict]:
    url = reverse("admin:reviews_audit_export")
    form = client.get(url).context["form"]
    fields = {name: "on" for name, field in form.fields.items() if field.initial is True}
    response = client.post(url, {"format": "0", "resource": "0", **fields})
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_data_administration_results_export_counts_open_audits_for_data_stewards_only(
    client, blind_audit, people, data_steward
):
    auditor = people["auditor"]
    auditor.is_staff = True
    auditor.save()

    client.force_login(data_steward)
    assert [row["audit"] for row in admin_audit_results(client)] == [blind_audit.name]
    client.force_login(auditor)
    assert admin_audit_results(client) == []
