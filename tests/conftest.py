import pytest

from accounts.roles import Role
from tests.factories import UserFactory, force


@pytest.fixture
def northamptonshire():
    return force("northamptonshire")


@pytest.fixture
def kent():
    return force("kent")


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", role=Role.AUDITOR)


@pytest.fixture
def supervisor(db):
    return UserFactory(username="supervisor", role=Role.SUPERVISOR)


@pytest.fixture
def data_steward(db):
    user = UserFactory(username="steward", role=Role.DATA_STEWARD)
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def force_viewer(db, northamptonshire):
    user = UserFactory(username="viewer", role=Role.FORCE_VIEWER)
    user.force = northamptonshire
    user.save()
    return user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing strength is not under test; the default hasher costs a quarter-second per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
