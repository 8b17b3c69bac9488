"""Every way a file goes in or out leaves an access record: who, which table or file, filters, row count."""

import pytest
from django.urls import reverse

from accounts.models import AccessAction, AccessRecord
from reviews.imports.runner import import_job_run
from reviews.models import ImportJob
from tests.factories import DecisionFactory, UserFactory
from tests.reviews.exchange.importing import csv_bytes, decision_row, run_import, write
from tests.reviews.exchange.test_admin_imports import DECISIONS_IMPORT, upload

pytestmark = pytest.mark.django_db


def test_a_download_is_recorded_with_its_table_filters_and_row_count(client, supervisor):
    DecisionFactory(crime_record__reference="NH/26/000001", crime_record__offence_category="rape")
    DecisionFactory(crime_record__reference="NH/26/000002", crime_record__offence_category="robbery")
    client.force_login(supervisor)

    response = client.get(reverse("export", args=["decisions", "xlsx"]), {"offence_category": "rape", "page": "2"})

    assert response.status_code == 200
    record = AccessRecord.objects.get(action=AccessAction.EXPORTED)
    assert record.user == supervisor
    assert record.details == {
        "table": "decisions",
        "format": "xlsx",
        "filters": {"offence_category": "rape"},
        "row_count": 1,
    }


def test_a_confirmed_admin_import_and_an_admin_export_are_recorded(client, data_steward):
    client.force_login(data_steward)
    upload(client, DECISIONS_IMPORT, csv_bytes([decision_row()]), name="force-extract.csv", check_only="on")
    check = ImportJob.objects.get()
    import_job_run(job_id=check.pk)
    assert not AccessRecord.objects.filter(action=AccessAction.IMPORTED).exists(), "a check imports nothing"

    client.post(reverse("imports:confirm", args=[check.pk]))
    import_job_run(job_id=ImportJob.objects.get(checked_by=check).pk)
    export = reverse("admin:reviews_cancellationdecision_export")
    form = client.get(export).context["form"]
    fields = {name: "on" for name, field in form.fields.items() if field.initial is True}
    assert client.post(export, {"format": "0", "resource": "0", **fields}).status_code == 200

    imported = AccessRecord.objects.get(action=AccessAction.IMPORTED)
    assert (imported.user, imported.object_label) == (data_steward, "force-extract.csv")
    assert imported.details["row_count"] == 1
    assert imported.details["via"] == "data administration"
    exported = AccessRecord.objects.get(action=AccessAction.EXPORTED)
    assert (exported.user, exported.details["table"], exported.details["row_count"]) == (
        data_steward,
        "cancellationdecision",
        1,
    )


def test_a_command_line_import_is_recorded_under_the_named_person_or_the_login(tmp_path):
    steward = UserFactory(username="records-steward")
    path = write(tmp_path, csv_bytes([decision_row()]), "extract.csv")

    run_import("import_decisions", path, "--dry-run")
    assert not AccessRecord.objects.exists(), "a dry run imports nothing"
    run_import("import_decisions", path, "--user", "records-steward")
    run_import("import_decisions", path)

    named, unnamed = AccessRecord.objects.filter(action=AccessAction.IMPORTED).order_by("pk")
    assert (named.user, named.object_label, named.details["row_count"]) == (steward, "extract.csv", 1)
    assert named.details["file_size"] == path.stat().st_size
    assert unnamed.user is None
    assert unnamed.username.endswith("(command line)")


def test_opening_a_review_is_recorded(client, supervisor):
    from tests.factories import ReviewFactory

    review = ReviewFactory()
    client.force_login(supervisor)

    assert client.get(reverse("review_detail", args=[review.pk])).status_code == 200

    record = AccessRecord.objects.get(action=AccessAction.VIEWED)
    assert (record.user, record.object_type, record.object_id) == (supervisor, "review", str(review.pk))
