"""The Content Security Policy: only the service's own files, no inline script or style, on every page."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def assert_strict(response):
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    # Nothing loosens the default for scripts or styles.
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert "script-src" not in directives
    assert "style-src" not in directives


def test_the_sign_in_page_carries_the_policy(client):
    assert_strict(client.get(reverse("login")))


def test_signed_in_pages_carry_the_policy(client, supervisor):
    client.force_login(supervisor)

    assert_strict(client.get(reverse("home")))
    assert_strict(client.get(reverse("access_records")))


def test_error_pages_carry_the_policy(client, auditor):
    client.force_login(auditor)

    assert_strict(client.get("/no-such-page/"))
    assert_strict(client.get(reverse("access_records")))  # 403 for an auditor


def test_the_service_error_page_carries_the_policy(client, auditor, monkeypatch):
    from reviews.workflow import views

    monkeypatch.setattr(views, "audit_list", lambda **kwargs: 1 / 0)
    client.raise_request_exception = False
    client.force_login(auditor)

    response = client.get(reverse("home"))

    assert response.status_code == 500
    assert_strict(response)


def test_the_data_administration_pages_carry_the_policy(client, data_steward):
    client.force_login(data_steward)

    assert_strict(client.get(reverse("admin:index")))
    assert_strict(client.get(reverse("admin:reviews_review_changelist")))


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE), "an inline <script>"),
    (re.compile(r"<style\b", re.IGNORECASE), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "an inline event handler"),
    (re.compile(r"javascript:", re.IGNORECASE), "a javascript: link"),
]


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda path: str(path.relative_to(TEMPLATES))
)
def test_no_template_needs_inline_script_or_style(template):
    text = template.read_text()

    for pattern, what in INLINE:
        assert not pattern.search(text), f"{template.name} has {what}, which the policy blocks"
