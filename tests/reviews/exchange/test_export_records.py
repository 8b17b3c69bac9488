"""Every export of the national comparison leaves an access record: who, when, from where, which table, with
which filters, how many rows and in which format. Reading the page, or asking for a format that does not
exist, leaves none."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import AccessAction, AccessRecord
from forces.models import Force
from reviews.models import OffenceCategory
from tests.reviews.results import summary_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_off_audit():
    audit = summary_data.audit("kent", "Kent 2025-26", categories=[OffenceCategory.RAPE])
    summary_data.reviews(audit, OffenceCategory.RAPE, correct=18, incorrect=2, told=19, not_told=1)
    return audit


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_an_export_of_the_national_table_is_recorded_with_its_filters_and_row_count(
    client, supervisor, signed_off_audit, export_format
):
    client.force_login(supervisor)
    region = Force.objects.get(code="kent").region
    expected_rows = Force.objects.filter(region=region).count()

    response = client.get(
        reverse("national_comparison"),
        {"region": region, "category": "rape", "sort": "-rape", "_export": export_format},
        REMOTE_ADDR="198.51.100.7",
    )

    assert response.status_code == 200
    record = AccessRecord.objects.get(action=AccessAction.EXPORTED)
    assert record.user == supervisor
    assert record.action == AccessAction.EXPORTED
    assert record.object_type == "national comparison"
    assert record.ip_address == "198.51.100.7"
    # Sorting changes the order, not what was exported, so it is not a filter.
    assert record.details == {
        "table": "national comparison",
        "filters": {"category": "rape", "region": region},
        "row_count": expected_rows,
        "format": export_format,
    }
    if export_format == "csv":
        forces_in_file = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        # The file's force rows, less the national rate row at the end, are the rows recorded.
        assert len(forces_in_file) - 1 == expected_rows


def test_every_export_adds_its_own_record(client, supervisor, signed_off_audit):
    client.force_login(supervisor)

    client.get(reverse("national_comparison"), {"_export": "csv"})
    client.get(reverse("national_comparison"), {"_export": "csv", "in_progress": "1"})

    records = list(AccessRecord.objects.filter(action=AccessAction.EXPORTED).order_by("id"))
    assert [record.details["row_count"] for record in records] == [43, 43]
    assert records[0].details["filters"] == {}
    assert records[1].details["filters"] == {"in_progress": "1"}
    assert "work in progress" in records[1].object_label.lower()


def test_reading_the_page_or_asking_for_an_unknown_format_records_no_export(client, supervisor, signed_off_audit):
    client.force_login(supervisor)

    assert client.get(reverse("national_comparison")).status_code == 200
    assert client.get(reverse("national_comparison"), {"_export": "json"}).status_code == 404

    assert not AccessRecord.objects.filter(action=AccessAction.EXPORTED).exists()


def test_the_export_appears_on_the_access_records_page(client, supervisor, data_steward, signed_off_audit):
    client.force_login(supervisor)
    client.get(reverse("national_comparison"), {"_export": "xlsx"})

    client.force_login(data_steward)
    page = client.get(reverse("access_records"), {"action": "exported"}).content.decode()

    assert "National comparison" in page
    assert "43" in page
