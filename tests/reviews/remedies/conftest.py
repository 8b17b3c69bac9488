import pytest

from accounts.roles import Role
from tests.factories import UserFactory, force
from tests.reviews.remedies.helpers import signed_off_audit


@pytest.fixture
def audit(supervisor, auditor):
    """A signed-off Northamptonshire audit with 2 decisions to reconsider and 2 victims to tell."""
    return signed_off_audit(supervisor=supervisor, auditor=auditor)


@pytest.fixture
def contact(northamptonshire):
    user = UserFactory(username="contact", role=Role.FORCE_CONTACT, email="contact@northants.example.org")
    user.force = northamptonshire
    user.save()
    return user


@pytest.fixture
def other_contact(db):
    user = UserFactory(username="kent-contact", role=Role.FORCE_CONTACT, email="contact@kent.example.org")
    user.force = force("kent")
    user.save()
    return user
