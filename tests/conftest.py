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


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Put back the forces and roles that migrations load. A transactional test (the browser tests, for
    example) empties the database after it runs, so the next one would otherwise find neither."""
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" not in request.fixturenames and not (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("transactional_db")
    from django.contrib.auth.models import Group, Permission

    from accounts.roles import ROLE_PERMISSIONS
    from forces.models import Force
    from forces.services import forces_load

    if not Force.objects.exists():
        forces_load()
    for role, grants in ROLE_PERMISSIONS.items():
        group, created = Group.objects.get_or_create(name=role)
        if created:
            group.permissions.set(
                Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}")
                for app_label, model, actions in grants
                for action in actions
            )
