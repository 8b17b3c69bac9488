"""Pages every user meets: signing in and out, and the error pages."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_is_a_gov_uk_styled_form(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en-GB" class="govuk-template">' in html
    assert "/static/css/application.css" in html
    assert 'class="govuk-generic-header' in html
    assert "Cancellation Review" in html
    assert 'class="govuk-input' in html
    assert 'autocomplete="current-password"' in html


def test_pages_need_sign_in(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_signing_in_opens_the_start_page(client, auditor):
    response = client.post(reverse("login"), {"username": "auditor", "password": "correct-horse-battery"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Sign out" in response.content.decode()


def test_a_wrong_password_is_reported_in_the_error_summary(client, auditor):
    response = client.post(reverse("login"), {"username": "auditor", "password": "wrong"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "govuk-error-summary" in html
    assert "Enter a correct username and password." in html
    assert "wrong" not in html.split("<main")[1]


def test_an_empty_sign_in_form_says_what_to_enter(client):
    response = client.post(reverse("login"), {"username": "", "password": ""})

    html = response.content.decode()
    assert '<a href="#id_username">Enter your username</a>' in html
    assert '<a href="#id_password">Enter your password</a>' in html
    assert "govuk-input--error" in html


def test_signing_out_needs_a_post_and_ends_the_session(client, auditor):
    client.force_login(auditor)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_an_unknown_address_is_a_gov_uk_not_found_page_without_details(client, auditor):
    client.force_login(auditor)

    response = client.get("/audits/999999/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "Traceback" not in html
    assert "govuk-template" in html


def test_a_form_without_its_csrf_token_is_refused_with_an_explanation(auditor):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "auditor", "password": "correct-horse-battery"})

    assert response.status_code == 403
    assert "Your form could not be sent" in response.content.decode()


def test_an_unexpected_error_shows_the_service_error_page_without_details(client, auditor, monkeypatch):
    from reviews.workflow import views

    def broken(*args, **kwargs):
        raise RuntimeError("database exploded")

    monkeypatch.setattr(views, "audit_list", broken)
    client.raise_request_exception = False
    client.force_login(auditor)

    response = client.get(reverse("home"))

    assert response.status_code == 500
    html = response.content.decode()
    assert "Sorry, there is a problem with the service" in html
    assert "database exploded" not in html


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("auditor", ["Home", "My reviews", "National comparison", "Actions", "Open data"]),
        (
            "supervisor",
            ["Home", "Plan an audit", "Disagreements", "National comparison", "Actions", "Open data", "Access records"],
        ),
        ("force_contact", ["Home", "Your force's results", "Actions"]),
        (
            "data_steward",
            ["Home", "National comparison", "Actions", "Open data", "Imports", "Access records", "Data administration"],
        ),
    ],
)
def test_the_navigation_offers_each_role_its_pages(client, request, role, expected):
    client.force_login(request.getfixturevalue(role))

    response = client.get(reverse("home"))

    assert [item["text"] for item in response.context["navigation"]] == expected
