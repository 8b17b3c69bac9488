"""Sign-in protection: lockout after repeated failures, password rules, and sessions that end."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessAction, AccessRecord
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RIGHT = "correct-horse-battery"
LIMIT = 3


@pytest.fixture(autouse=True)
def _small_failure_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)


def sign_in(client, username: str, password: str, address: str = "192.0.2.10"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def is_signed_in(client) -> bool:
    return client.get(reverse("home")).status_code == 200


def lock_out(client, username="auditor", address="192.0.2.10"):
    responses = [sign_in(client, username, "wrong guess", address) for _ in range(LIMIT)]
    return responses[-1]


def test_failures_below_the_limit_only_say_the_password_is_wrong(client, auditor):
    for _ in range(LIMIT - 1):
        response = sign_in(client, "auditor", "wrong guess")
        assert response.status_code == 200
        assert "Enter a correct username and password." in response.content.decode()

    # The user can still sign in with the right password.
    assert sign_in(client, "auditor", RIGHT).status_code == 302


def test_the_nth_failure_locks_the_username_at_that_address_with_a_clear_message(client, auditor):
    response = lock_out(client)

    assert response.status_code == 429
    html = response.content.decode()
    assert "There is a problem" in html
    assert "too many failed attempts to sign in" in html
    assert "for 30 minutes" in html
    assert "ask a data steward to unlock your account" in html
    # It is the sign-in page itself, in the service's own layout.
    assert "Sign in to Cancellation Review" in html
    assert "govuk-template" in html


def test_while_locked_out_even_the_right_password_is_refused(client, auditor):
    lock_out(client)

    response = sign_in(client, "auditor", RIGHT)

    assert response.status_code == 429
    assert not is_signed_in(client)


def test_the_lock_is_on_the_username_and_address_together(client, auditor):
    lock_out(client, address="192.0.2.10")

    # Someone guessing from one computer does not lock the user out everywhere.
    assert sign_in(Client(), "auditor", RIGHT, address="198.51.100.7").status_code == 302
    # And another user at the same computer is unaffected.
    UserFactory(username="colleague")
    assert sign_in(Client(), "colleague", RIGHT, address="192.0.2.10").status_code == 302


def test_after_the_cool_off_the_right_password_works_again(client, auditor):
    lock_out(client)
    assert sign_in(client, "auditor", RIGHT).status_code == 429

    # Time passes: the failed attempts are now older than the cool-off.
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

    assert sign_in(client, "auditor", RIGHT).status_code == 302
    assert is_signed_in(client)


def test_a_data_steward_unlocks_a_locked_out_user_in_the_data_administration_pages(client, auditor, data_steward):
    lock_out(client)
    attempt = AccessAttempt.objects.get(username="auditor")

    steward = Client()
    steward.force_login(data_steward)
    listing = steward.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200
    assert "auditor" in listing.content.decode()
    assert "Locked Out" in listing.content.decode()
    steward.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})

    assert not AccessAttempt.objects.exists()
    assert sign_in(client, "auditor", RIGHT).status_code == 302


def test_only_data_stewards_can_lift_a_lock(client, auditor, supervisor):
    lock_out(client)
    attempt = AccessAttempt.objects.get(username="auditor")
    supervisor.is_staff = True
    supervisor.save()
    other = Client()
    other.force_login(supervisor)

    response = other.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_a_lockout_is_kept_as_an_access_record(client, auditor):
    lock_out(client)

    record = AccessRecord.objects.get(action=AccessAction.LOCKED_OUT)
    assert record.user == auditor
    assert record.username == "auditor"
    assert record.ip_address == "192.0.2.10"


def test_a_lockout_of_a_username_nobody_has_is_recorded_without_a_user(client):
    response = lock_out(client, username="no-such-person")

    assert response.status_code == 429
    record = AccessRecord.objects.get(action=AccessAction.LOCKED_OUT)
    assert record.user is None
    assert record.username == "no-such-person"


def test_the_password_is_never_kept_with_a_failed_attempt(client, auditor):
    sign_in(client, "auditor", "my-secret-guess-1")

    assert "my-secret-guess-1" not in AccessAttempt.objects.get().post_data


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "too short"),
        ("password1234", "too common"),
        ("736492018364", "entirely numeric"),
        ("auditor@example", "too similar"),
    ],
)
def test_weak_passwords_are_refused(auditor, password, reason):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=auditor)

    assert reason in " ".join(refused.value.messages)


def test_a_strong_password_is_accepted(auditor):
    validate_password("lantern-orchid-basalt-42", user=auditor)


def test_the_password_rules_are_djangos_four_validators_with_twelve_characters_at_least():
    names = [validator["NAME"].rsplit(".", 1)[-1] for validator in settings.AUTH_PASSWORD_VALIDATORS]

    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
    assert settings.AUTH_PASSWORD_VALIDATORS[1]["OPTIONS"]["min_length"] == 12


def test_a_session_ends_after_eight_hours_without_activity_and_activity_keeps_it_alive(client, auditor):
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_HTTPONLY
    sign_in(client, "auditor", RIGHT)
    session = Session.objects.get()

    # Seven hours on, a page is opened: the session is renewed for another eight hours from now.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(hours=1))
    assert is_signed_in(client)
    renewed = Session.objects.get(pk=session.pk).expire_date
    assert renewed > timezone.now() + timedelta(hours=7, minutes=59)

    # Eight hours with nothing done: the session has ended and the user must sign in again.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
