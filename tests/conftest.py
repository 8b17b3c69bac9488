import pytest
from django.core.cache import cache

from accounts.roles import Role
from tests.factories import UserFactory, force


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: a rolled-back test's ids are given out again, so figures kept under
    a key of them by one test would otherwise be read by the next."""
    cache.clear()


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
def force_contact(db, northamptonshire):
    user = UserFactory(username="viewer", role=Role.FORCE_CONTACT)
    user.force = northamptonshire
    user.save()
    return user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing strength is not under test; the default hasher costs a quarter-second per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> str:
    """pytest-django's test database, and a copy of the rows its migrations load (forces, roles and their
    permissions), taken before any test can have changed them."""
    from django.db import connection

    with django_db_blocker.unblock():
        return connection.creation.serialize_db_to_string()


@pytest.fixture
def migrated_rows(django_db_setup, transactional_db):
    """For tests that commit: the forces and roles the migrations load, put back if an earlier committing
    test's flush removed them. (Django's serialized rollback cannot be relied on once Playwright's event
    loop runs, as it gives tests a database connection object of their own, without Django's copy.)"""
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    if not Group.objects.exists():
        # The flush recreated content types and permissions; the copy brings its own.
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
        connection.creation.deserialize_db_from_string(django_db_setup)


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Every test that commits (the browser and concurrency tests, for example) starts with the forces and
    roles the migrations load, whatever an earlier committing test's flush removed."""
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction")):
        request.getfixturevalue("migrated_rows")


@pytest.fixture(autouse=True)
def _uploads_in_a_folder_of_the_tests(settings, tmp_path_factory):
    """Uploaded import files are stored under the tests' own temporary folder, never the service's."""
    settings.MEDIA_ROOT = str(tmp_path_factory.getbasetemp() / "uploads")
