"""The data steward's import pages: the upload form and its errors, the list of recent imports, a job's page,
status.json, the errors download, Import now and Cancel. Jobs are run by calling the worker's body directly."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reviews.imports.runner import import_job_run
from reviews.imports.services import import_job_create
from reviews.models import CancellationDecision, ImportJob, ImportKind, ImportState
from tests.reviews.exchange.importing import REVIEW_COLUMNS, csv_bytes, decision_row, review_row

pytestmark = pytest.mark.django_db

UPLOAD = reverse("imports:upload")


def rows(count: int, **overrides) -> list[dict]:
    return [decision_row(crime_reference=f"NH/26/{number:06d}", **overrides) for number in range(1, count + 1)]


def post_upload(client, content: bytes, *, name="extract.csv", kind="decisions", check_only=True, **extra):
    data = {"file": SimpleUploadedFile(name, content, content_type="text/csv"), "kind": kind, **extra}
    if check_only:
        data["check_only"] = "on"
    return client.post(UPLOAD, data)


def job_of(response) -> ImportJob:
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))


def text(response) -> str:
    return response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")


def test_the_upload_page_offers_the_form_with_check_only_ticked(client, data_steward):
    client.force_login(data_steward)

    response = client.get(UPLOAD)

    page = text(response)
    assert response.status_code == 200
    assert 'type="file"' in page
    assert 'name="check_only" type="checkbox" value="on" checked' in page
    assert "Reopen approved reviews the file changes" in page
    assert "No files have been uploaded yet." in page
    assert [item["text"] for item in response.context["navigation"]].count("Imports") == 1


def test_a_check_runs_in_the_background_and_its_page_shows_the_counts(client, data_steward):
    client.force_login(data_steward)

    job = job_of(post_upload(client, csv_bytes(rows(3))))

    assert (job.kind, job.check_only, job.state, job.created_by) == ("decisions", True, "queued", data_steward)
    queued_page = text(client.get(job.get_absolute_url()))
    assert "Queued" in queued_page
    # The same words whether the job has begun or, for a small file, ended by the time its page is shown.
    assert "extract.csv was queued to be checked. This page shows how far it has got." in queued_page
    assert f'data-status-url="/imports/{job.pk}/status.json"' in queued_page
    assert ">Refresh</a>" in queued_page
    assert "Import now" not in queued_page

    assert import_job_run(job_id=job.pk) == ImportState.DONE

    page = text(client.get(job.get_absolute_url()))
    assert "3 rows: 3 new (checked, nothing saved)" in page
    assert "3 new, 0 updated, 0 unchanged" in page
    assert 'max="3" value="3"' in page
    assert "Import now" in page
    assert ">Refresh</a>" not in page
    assert not CancellationDecision.objects.exists()


def test_import_now_imports_the_checked_file_once(client, data_steward):
    client.force_login(data_steward)
    check = job_of(post_upload(client, csv_bytes(rows(3))))
    import_job_run(job_id=check.pk)

    follow = job_of(client.post(reverse("imports:confirm", args=[check.pk])))
    again = client.post(reverse("imports:confirm", args=[check.pk]), follow=True)

    assert follow.checked_by == check
    assert not follow.check_only
    assert again.status_code == 200
    assert "already being imported, or has been: nothing was changed." in text(again)
    assert ImportJob.objects.filter(checked_by=check).count() == 1
    import_job_run(job_id=follow.pk)
    assert CancellationDecision.objects.count() == 3
    page = text(client.get(follow.get_absolute_url()))
    assert "3 rows: 3 new" in page
    assert "Import now" not in page
    assert "The import of this file" in text(client.get(check.get_absolute_url()))


def test_a_file_with_bad_rows_lists_each_error_saves_nothing_and_cannot_be_imported(client, data_steward):
    client.force_login(data_steward)
    job = job_of(post_upload(client, csv_bytes([*rows(2), decision_row(crime_reference="NH/9", criterion="C9")])))
    import_job_run(job_id=job.pk)

    page = text(client.get(job.get_absolute_url()))
    refused = client.post(reverse("imports:confirm", args=[job.pk]), follow=True)

    assert "1 error, nothing saved" in page
    assert '"C9" is not one of C1-C5' in page
    assert "Download every error (CSV)" in page
    assert "Import now" not in page
    assert "Only a check that found no errors can be imported" in text(refused)
    assert "Nothing was changed." in text(refused)
    assert not CancellationDecision.objects.exists()


def test_the_errors_download_escapes_formulas(client, data_steward):
    client.force_login(data_steward)
    job = job_of(post_upload(client, csv_bytes([decision_row(criterion="=HYPERLINK(1)")])))
    import_job_run(job_id=job.pk)

    response = client.get(reverse("imports:errors", args=[job.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-errors.csv"'
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0] == ["row", "column", "value", "message"]
    assert lines[1][:3] == ["2", "criterion", "'=HYPERLINK(1)"]


def test_status_json_has_the_shape_the_page_script_reads(client, data_steward):
    client.force_login(data_steward)
    job = job_of(post_upload(client, csv_bytes(rows(2))))
    import_job_run(job_id=job.pk)

    status = client.get(reverse("imports:status", args=[job.pk])).json()

    assert set(status) == {
        *("id", "state", "phase", "rows_total", "rows_done", "counts", "error_count", "errors", "notices"),
        *("message", "kind", "check_only", "file_name", "created_at", "started_at", "finished_at"),
        *("elapsed_seconds", "estimate_seconds_left", "can_cancel", "can_import", "import_id", "finished"),
    }
    assert (status["id"], status["state"], status["finished"], status["can_import"]) == (job.pk, "done", True, True)
    assert (status["rows_total"], status["rows_done"]) == (2, 2)
    assert status["counts"] == {"new": 2, "updated": 0, "unchanged": 0}


def test_cancel_stops_a_queued_job_and_a_second_cancel_changes_nothing(client, data_steward):
    client.force_login(data_steward)
    job = job_of(post_upload(client, csv_bytes(rows(2)), check_only=False))

    first = client.post(reverse("imports:cancel", args=[job.pk]), follow=True)
    second = client.post(reverse("imports:cancel", args=[job.pk]), follow=True)

    assert "The job is cancelled: nothing was saved." in text(first)
    assert "This job has already finished: nothing was changed." in text(second)
    assert import_job_run(job_id=job.pk) == ImportState.CANCELLED
    assert not CancellationDecision.objects.exists()
    assert client.get(reverse("imports:cancel", args=[job.pk])).status_code == 405


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "decisions"}, "Select a file to upload."),
        ({"kind": "audits", "file": b"x"}, "Select what the file holds: decisions or reviews."),
        ({"file": b"x"}, "Select what the file holds: decisions or reviews."),
        ({"kind": "decisions", "file": b""}, "The file is empty."),
    ],
)
def test_a_bad_upload_is_an_error_summary_not_a_job(client, data_steward, data, message):
    client.force_login(data_steward)
    if "file" in data:
        data["file"] = SimpleUploadedFile("extract.csv", data["file"])

    response = client.post(UPLOAD, data)

    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page
    assert message in page
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused_on_the_form(client, data_steward, settings):
    settings.IMPORT_MAX_FILE_SIZE = 100
    client.force_login(data_steward)

    response = post_upload(client, csv_bytes(rows(5)))

    assert "the largest file accepted is 0.0 MB" in text(response)
    assert not ImportJob.objects.exists()


def test_a_file_that_is_not_a_spreadsheet_fails_with_the_reason(client, data_steward):
    client.force_login(data_steward)
    job = job_of(post_upload(client, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", name="photo.png"))

    import_job_run(job_id=job.pk)

    page = text(client.get(job.get_absolute_url()))
    assert "Failed" in page
    assert "The file is neither a CSV file nor an XLSX workbook." in page


def test_sending_the_form_twice_makes_one_job(client, data_steward):
    client.force_login(data_steward)
    content = csv_bytes(rows(2))

    first = job_of(post_upload(client, content))
    second = client.post(
        UPLOAD, {"file": SimpleUploadedFile("extract.csv", content), "kind": "decisions", "check_only": "on"}
    )
    imported = job_of(post_upload(client, content, check_only=False))

    assert second["Location"] == first.get_absolute_url()
    assert imported != first, "an import of the same file is a step of its own, not a second click"
    assert ImportJob.objects.count() == 2


def test_the_same_file_sent_again_later_is_a_new_job(client, data_steward):
    client.force_login(data_steward)
    content = csv_bytes(rows(2))
    first = job_of(post_upload(client, content))
    ImportJob.objects.filter(pk=first.pk).update(created_at=first.created_at.replace(year=2025))

    assert job_of(post_upload(client, content)) != first


def test_a_reviews_file_keeps_the_reopen_choice(client, data_steward):
    client.force_login(data_steward)
    content = csv_bytes([review_row()], REVIEW_COLUMNS)

    reviews = job_of(post_upload(client, content, name="reviews.csv", kind="reviews", reopen_approved="on"))
    decisions = job_of(post_upload(client, csv_bytes(rows(1)), reopen_approved="on"))

    assert (reviews.kind, reviews.reopen_approved) == (ImportKind.REVIEWS, True)
    assert decisions.reopen_approved is False


def test_the_list_shows_who_what_and_the_outcome(client, data_steward):
    client.force_login(data_steward)
    good = job_of(post_upload(client, csv_bytes(rows(3)), name="good.csv"))
    bad = job_of(post_upload(client, csv_bytes(rows(2, criterion="C9")), name="bad.csv"))
    import_job_run(job_id=good.pk)
    import_job_run(job_id=bad.pk)

    page = text(client.get(UPLOAD))

    assert f'href="{good.get_absolute_url()}">good.csv</a>' in page
    assert "3 rows: 3 new (checked, nothing saved)" in page
    assert "2 errors, nothing saved" in page
    assert data_steward.get_username() in page or str(data_steward) in page


def test_the_list_and_status_json_take_the_same_queries_at_any_size(
    client, data_steward, django_assert_num_queries, settings
):
    client.force_login(data_steward)
    content = csv_bytes(rows(1))
    client.get(UPLOAD)

    def make(count):
        for number in range(count):
            job = import_job_create(
                upload=SimpleUploadedFile(f"{number}.csv", content), kind="decisions", check_only=True, by=data_steward
            )
            import_job_run(job_id=job.pk)
        return job

    # The session, the person and their roles; the count and the page of jobs with their uploaders; the session
    # saved again (its idle timeout). status.json does not keep the session alive, and reads the job and its import.
    job = make(1)
    with django_assert_num_queries(8):
        assert client.get(UPLOAD).status_code == 200
    with django_assert_num_queries(5):
        assert client.get(reverse("imports:status", args=[job.pk])).status_code == 200
    job = make(25)
    with django_assert_num_queries(8):
        assert client.get(UPLOAD).status_code == 200
    with django_assert_num_queries(5):
        assert client.get(reverse("imports:status", args=[job.pk])).status_code == 200


@pytest.mark.parametrize("role", ["auditor", "supervisor", "force_contact"])
def test_only_data_stewards_may_use_the_import_pages(client, data_steward, request, role):
    job = import_job_create(
        upload=SimpleUploadedFile("a.csv", csv_bytes(rows(1))), kind="decisions", check_only=True, by=data_steward
    )
    client.force_login(request.getfixturevalue(role))

    for name in ("detail", "status", "errors"):
        assert client.get(reverse(f"imports:{name}", args=[job.pk])).status_code == 403, name
    for name in ("confirm", "cancel"):
        assert client.post(reverse(f"imports:{name}", args=[job.pk])).status_code == 403, name
    assert client.get(UPLOAD).status_code == 403
    assert post_upload(client, csv_bytes(rows(1))).status_code == 403
    assert ImportJob.objects.count() == 1
    assert "Imports" not in [item["text"] for item in client.get(reverse("home")).context["navigation"]]


def test_anonymous_people_are_sent_to_sign_in(client):
    assert client.get(UPLOAD)["Location"].startswith(reverse("login"))


def test_a_forged_id_is_not_found(client, data_steward):
    client.force_login(data_steward)

    for name in ("detail", "status", "errors"):
        assert client.get(reverse(f"imports:{name}", args=[999_999])).status_code == 404, name
    for name in ("confirm", "cancel"):
        assert client.post(reverse(f"imports:{name}", args=[999_999])).status_code == 404, name


def test_watching_a_job_keeps_no_session_alive_while_other_pages_do(client, data_steward):
    from datetime import timedelta

    from django.contrib.sessions.models import Session

    client.force_login(data_steward)
    response = post_upload(client, csv_bytes(rows(2)))
    job = job_of(response)
    session = Session.objects.get()
    earlier = session.expire_date - timedelta(hours=1)
    Session.objects.filter(pk=session.pk).update(expire_date=earlier)

    for url in (reverse("imports:status", args=[job.pk]), reverse("imports:detail", args=[job.pk])):
        assert client.get(url).status_code == 200
        assert Session.objects.get().expire_date == earlier

    assert client.get(reverse("imports:upload")).status_code == 200
    assert Session.objects.get().expire_date > earlier
