"""The django-import-export resources serve the data administration's exports only: what they write, the import
engine reads back unchanged (files come in through the engine alone, so there is one set of import rules)."""

import io

import pytest

from reviews.exchange.decisions import decisions_import
from reviews.exchange.reading import DECISION_FILE, REVIEW_FILE
from reviews.exchange.resources import DecisionResource, ReviewResource
from reviews.exchange.reviews import reviews_import
from reviews.models import ReviewStatus
from tests.factories import AuditFactory, DecisionFactory, ReviewFactory, force
from tests.reviews.exchange.importing import snapshot

pytestmark = pytest.mark.django_db


def exported(resource) -> io.BytesIO:
    return io.BytesIO(resource.export().csv.encode("utf-8"))


def test_an_exported_decisions_file_imports_back_unchanged():
    DecisionFactory(crime_record__reference="NH/26/000001", rationale='=HYPERLINK("x")')
    DecisionFactory(
        crime_record__reference="NH/26/000002", outcome="transferred", criterion="C1", receiving_force=force("kent")
    )
    before = snapshot()

    file = exported(DecisionResource())
    header = file.getvalue().decode().splitlines()[0]
    report = decisions_import(file=file)

    assert header.split(",") == list(DECISION_FILE.columns)
    assert (report.rows, report.new, report.updated, report.unchanged) == (2, 0, 0, 2)
    assert snapshot() == before


def test_an_exported_reviews_file_imports_back_unchanged(auditor):
    audit = AuditFactory(name="Exported audit", in_progress=True)
    ReviewFactory(
        audit=audit,
        auditor=auditor,
        status=ReviewStatus.SUBMITTED,
        decision_correct="yes",
        victim_should_be_informed=True,
        victim_informed="yes",
        notes="@SUM(A1)",
    )
    before = snapshot()

    file = exported(ReviewResource())
    header = file.getvalue().decode().splitlines()[0]
    report = reviews_import(file=file, by=auditor)

    assert header.split(",") == list(REVIEW_FILE.columns)
    assert (report.rows, report.new, report.updated, report.unchanged) == (1, 0, 0, 1)
    assert snapshot() == before
