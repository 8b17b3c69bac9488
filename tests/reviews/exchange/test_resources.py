"""The django-import-export resources on their own: standard and bulk imports give the same records."""

import pytest
import tablib

from reviews.exchange.reading import DECISION_FILE
from reviews.exchange.resources import DecisionResource
from reviews.models import CancellationDecision
from tests.factories import force
from tests.reviews.exchange.importing import decision_row

pytestmark = pytest.mark.django_db


class BulkDecisionResource(DecisionResource):
    class Meta(DecisionResource.Meta):
        use_bulk = True
        skip_diff = True


def dataset(rows) -> tablib.Dataset:
    data = tablib.Dataset(headers=list(DECISION_FILE.columns))
    for row in rows:
        data.append([row[column] for column in DECISION_FILE.columns])
    return data


@pytest.mark.parametrize("resource_class", [DecisionResource, BulkDecisionResource])
def test_standard_and_bulk_imports_store_the_decision_with_its_copies(resource_class):
    rows = [
        decision_row(),
        decision_row(crime_reference="NH/26/000002", outcome="transferred", criterion="C1", receiving_force="kent"),
    ]

    result = resource_class().import_data(dataset(rows), dry_run=False, use_transactions=True)

    assert not result.has_errors()
    assert not result.has_validation_errors()
    transfer = CancellationDecision.objects.select_related("crime_record").get(crime_record__reference="NH/26/000002")
    assert (transfer.force, transfer.recorded_on) == (transfer.crime_record.force, transfer.crime_record.recorded_on)
    assert transfer.receiving_force == force("kent")
    assert CancellationDecision.objects.count() == 2
