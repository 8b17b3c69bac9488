import pytest
from django.db import IntegrityError, transaction

from forces.models import Force, FormerName

pytestmark = pytest.mark.django_db


def test_the_43_forces_of_england_and_wales_are_loaded_by_migration():
    assert Force.objects.count() == 43
    assert Force.objects.filter(country="Wales").count() == 4
    assert Force.objects.get(code="metropolitan").name == "Metropolitan Police Service"
    assert Force.objects.get(code="dyfed-powys").region == "Wales"


@pytest.mark.parametrize(
    "name",
    [
        "Hampshire Constabulary",
        "hampshire constabulary",
        "  HAMPSHIRE   Constabulary ",
        "Hampshire and Isle of Wight Constabulary",
        "hampshire",
    ],
)
def test_former_and_current_names_and_the_code_resolve_to_hampshire_and_isle_of_wight(name):
    force = Force.objects.resolve(name)

    assert force.code == "hampshire"
    assert force.name == "Hampshire and Isle of Wight Constabulary"


def test_an_unknown_force_name_is_a_clear_error():
    with pytest.raises(Force.DoesNotExist, match='No force called "Hampshire Police"'):
        Force.objects.resolve("Hampshire Police")


def test_a_former_name_cannot_belong_to_two_forces():
    with transaction.atomic(), pytest.raises(IntegrityError):
        FormerName.objects.create(force=Force.objects.get(code="kent"), name="HAMPSHIRE CONSTABULARY")


def test_force_names_are_unique_ignoring_case():
    with transaction.atomic(), pytest.raises(IntegrityError):
        Force.objects.create(code="kent-2", name="KENT POLICE", country="England", region="South East")


def test_country_is_england_or_wales():
    with transaction.atomic(), pytest.raises(IntegrityError):
        Force.objects.create(code="police-scotland", name="Police Scotland", country="Scotland", region="Scotland")
