"""Acceptance: one set of import rules. The same bad file, sent by the command line, the upload page and the data
administration's import, is refused with the same messages, and nothing is saved."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reviews.imports.runner import import_job_run
from reviews.models import ImportJob
from tests.factories import DecisionFactory
from tests.reviews.exchange.importing import (
    REVIEW_COLUMNS,
    csv_bytes,
    decision_row,
    review_row,
    run_import,
    snapshot,
    write,
)

pytestmark = pytest.mark.django_db


def messages_of_a_job(client, response) -> set[str]:
    """Run the job a form created, then read its errors as its status.json gives them, in the command line's
    words (`row N, column: message`)."""
    assert response.status_code == 302, response.content.decode()[:1000]
    job = ImportJob.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))
    import_job_run(job_id=job.pk)
    status = client.get(reverse("imports:status", args=[job.pk])).json()
    page = client.get(job.get_absolute_url()).content.decode().replace("&quot;", '"')
    for error in status["errors"]:
        assert error["message"] in page
    return {
        f"row {error['row']}, {error['column']}: {error['message']}"
        if error["column"]
        else f"row {error['row']}: {error['message']}"
        for error in status["errors"]
    }


def three_ways(client, tmp_path, content: bytes, *, command: str, kind: str, admin_url: str, name: str):
    _, command_errors, succeeded = run_import(command, write(tmp_path, content, name))
    assert not succeeded
    page = messages_of_a_job(
        client,
        client.post(
            reverse("imports:upload"),
            {"file": SimpleUploadedFile(name, content), "kind": kind, "check_only": "on"},
        ),
    )
    admin = messages_of_a_job(client, client.post(reverse(admin_url), {"file": SimpleUploadedFile(name, content)}))
    return command_errors, page, admin


def test_a_bad_decisions_file_gets_the_same_messages_every_way_in(client, data_steward, tmp_path):
    rows = [
        decision_row(crime_reference="NH/1"),
        decision_row(crime_reference="NH/2", criterion="C9"),
        decision_row(crime_reference="NH/3", outcome="transferred", criterion="C2"),
        decision_row(crime_reference="NH/4", force="Hampshire Police"),
    ]
    before = snapshot()
    client.force_login(data_steward)

    command, page, admin = three_ways(
        client,
        tmp_path,
        csv_bytes(rows),
        command="import_decisions",
        kind="decisions",
        admin_url="admin:reviews_cancellationdecision_import",
        name="decisions.csv",
    )

    expected = {
        'row 3, criterion: "C9" is not one of C1-C5',
        'row 4: outcome "transferred" needs criterion C1',
        'row 5, force: no force called "Hampshire Police"',
    }
    assert page == admin == expected
    for message in expected:
        assert message in command
    assert snapshot() == before


def test_a_bad_reviews_file_gets_the_same_messages_every_way_in(client, data_steward, force_contact, tmp_path):
    DecisionFactory(crime_record__reference="NH/26/000001")
    before = snapshot()
    client.force_login(data_steward)

    command, page, admin = three_ways(
        client,
        tmp_path,
        csv_bytes([review_row(auditor="viewer")], REVIEW_COLUMNS),
        command="import_reviews",
        kind="reviews",
        admin_url="admin:reviews_review_import",
        name="reviews.csv",
    )

    assert page == admin == {'row 2, auditor: "viewer" does not have the auditor role, so cannot be given reviews'}
    assert 'row 2, auditor: "viewer" does not have the auditor role, so cannot be given reviews' in command
    assert snapshot() == before
