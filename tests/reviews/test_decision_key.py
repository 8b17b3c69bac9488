"""On PostgreSQL a decision's copies of its crime record's force and recorded date are guaranteed by one composite
foreign key (migration reviews 0004), whatever writes them: the ORM, an import's SQL, or someone at a SQL prompt."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from tests.factories import DecisionFactory, force

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the composite foreign key is PostgreSQL's"),
]


def _immediately(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(sql, params)


def test_a_decision_cannot_claim_another_force_than_its_crime_records():
    decision = DecisionFactory()

    with pytest.raises(IntegrityError, match="decision_matches_crime_record"):
        _immediately(
            "UPDATE reviews_cancellationdecision SET force_id = %s WHERE id = %s", [force("kent").pk, decision.pk]
        )


def test_a_decision_cannot_point_at_a_crime_record_that_does_not_exist():
    decision = DecisionFactory()

    with pytest.raises(IntegrityError, match="decision_matches_crime_record"):
        _immediately("UPDATE reviews_cancellationdecision SET crime_record_id = %s WHERE id = %s", [0, decision.pk])


def test_a_change_to_the_crime_record_carries_over_to_its_decision():
    decision = DecisionFactory(crime_record__recorded_on=date(2026, 1, 10), decided_on=date(2026, 2, 1))

    _immediately(
        "UPDATE reviews_crimerecord SET force_id = %s, recorded_on = %s WHERE id = %s",
        [force("kent").pk, date(2026, 1, 20), decision.crime_record_id],
    )

    decision.refresh_from_db()
    assert (decision.force.code, decision.recorded_on) == ("kent", date(2026, 1, 20))


def test_the_crime_records_date_cannot_move_after_its_decision():
    decision = DecisionFactory(crime_record__recorded_on=date(2026, 1, 10), decided_on=date(2026, 2, 1))

    with pytest.raises(IntegrityError, match="decision_decided_on_or_after_recorded"):
        _immediately(
            "UPDATE reviews_crimerecord SET recorded_on = %s WHERE id = %s",
            [date(2026, 3, 1), decision.crime_record_id],
        )
