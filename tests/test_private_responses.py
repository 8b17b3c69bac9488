"""Responses to a signed-in person are never stored by a browser or a proxy; anonymous and static ones keep
their own caching."""

import pytest
from django.urls import reverse

from tests.factories import AuditFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def assert_private(response) -> None:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= directives, response.get("Cache-Control")


@pytest.mark.parametrize("name", ["home", "review_queue", "national_comparison", "access_records"])
def test_every_signed_in_page_is_private(client, auditor, supervisor, name):
    supervisor.groups.add(*auditor.groups.all())
    client.force_login(supervisor)

    response = client.get(reverse(name))

    assert response.status_code == 200
    assert_private(response)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_downloads_are_private(client, supervisor, file_format):
    ReviewFactory(audit=AuditFactory(in_progress=True))
    client.force_login(supervisor)

    response = client.get(reverse("export", args=["reviews", file_format]))

    assert response.status_code == 200
    assert_private(response)


def test_the_data_administration_pages_are_private(client, data_steward):
    client.force_login(data_steward)

    assert_private(client.get(reverse("admin:reviews_review_changelist")))


def test_a_refusal_to_a_signed_in_person_is_private_too(client, force_viewer):
    client.force_login(force_viewer)

    response = client.get(reverse("review_queue"))

    assert response.status_code == 403
    assert_private(response)


def test_anonymous_responses_keep_their_own_caching(client):
    redirect = client.get(reverse("home"))

    assert redirect.status_code == 302
    assert "Cache-Control" not in redirect


def test_static_files_stay_cacheable_for_a_signed_in_person(client, auditor):
    client.force_login(auditor)

    response = client.get("/static/css/application.css")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "max-age" in response["Cache-Control"]
