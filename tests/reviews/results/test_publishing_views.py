"""Publishing from the pages, a published version at its own address, and a force's trend across its published
audits."""

import hashlib
from datetime import date

import pytest
from django.urls import reverse

from accounts.roles import Role
from reviews.models import OffenceCategory, PublishedResults
from reviews.results.publishing import audit_publish
from reviews.workflow.services import audit_reopen, audit_sign_off
from tests.factories import UserFactory
from tests.reviews.results import summary_data as data
from tests.reviews.results.test_views import page_table

pytestmark = pytest.mark.django_db

OTHER_SEXUAL = OffenceCategory.OTHER_SEXUAL


@pytest.fixture
def audit(db):
    audit = data.audit("northamptonshire", "Northamptonshire 2025-26", categories=[OTHER_SEXUAL])
    data.reviews(audit, OTHER_SEXUAL, correct=18, incorrect=2, told=17, not_told=1)
    return audit


def _corrected(audit, supervisor):
    first = audit_publish(audit=audit, by=supervisor)
    audit_reopen(audit=audit, by=supervisor, reason="A verdict was keyed wrongly")
    audit_sign_off(audit=audit, by=supervisor)
    second = audit_publish(audit=audit, by=supervisor, correction_note="A verdict was keyed wrongly.")
    first.refresh_from_db()
    return first, second


def test_a_supervisor_publishes_from_the_page_and_lands_on_the_version(client, audit, supervisor):
    client.force_login(supervisor)

    response = client.post(reverse("audit_publish", args=[audit.pk]), follow=True)

    version = PublishedResults.objects.get(audit=audit)
    assert response.redirect_chain[-1][0] == version.get_absolute_url()
    page = response.content.decode()
    assert "Version 1 of the results is published." in page
    assert version.sha256 in page
    assert "wrongly cancelled 1 in 10 other sexual offence records reviewed (2 of 20)" in page


def test_a_correction_without_a_note_is_refused_on_the_form(client, audit, supervisor):
    audit_publish(audit=audit, by=supervisor)
    audit_reopen(audit=audit, by=supervisor, reason="Checking")
    audit_sign_off(audit=audit, by=supervisor)
    client.force_login(supervisor)

    response = client.post(reverse("audit_publish", args=[audit.pk]), {"correction_note": ""})

    assert response.status_code == 200
    assert "Say what the correction changes" in response.content.decode()
    assert PublishedResults.objects.filter(audit=audit).count() == 1


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.DATA_STEWARD])
def test_only_supervisors_reach_the_publish_page(client, audit, role):
    client.force_login(UserFactory(role=role))

    assert client.get(reverse("audit_publish", args=[audit.pk])).status_code == 403
    assert client.post(reverse("audit_publish", args=[audit.pk])).status_code == 403
    assert not PublishedResults.objects.exists()


def test_version_1_says_it_was_superseded_and_version_2_shows_its_correction(client, audit, supervisor):
    first, second = _corrected(audit, supervisor)
    client.force_login(supervisor)

    old = client.get(first.get_absolute_url()).content.decode()
    new = client.get(second.get_absolute_url()).content.decode()

    assert "This version was superseded" in old
    assert second.get_absolute_url() in old
    assert first.sha256 in old
    assert f"Corrected on {second.published_at:%-d %B %Y}: A verdict was keyed wrongly." in new
    assert "This version was superseded" not in new


def test_the_csv_download_is_the_file_whose_sha256_the_page_shows(client, audit, supervisor):
    version = audit_publish(audit=audit, by=supervisor)
    client.force_login(supervisor)

    response = client.get(reverse("published_results_csv", args=["northamptonshire", audit.pk, 1]))

    assert response["Content-Type"].startswith("text/csv")
    assert hashlib.sha256(response.content).hexdigest() == version.sha256


def test_a_force_contact_reads_their_own_forces_versions_only(client, audit, supervisor, force_contact):
    version = audit_publish(audit=audit, by=supervisor)
    kent = data.audit("kent", "Kent 2025-26", categories=[OTHER_SEXUAL])
    data.reviews(kent, OTHER_SEXUAL, correct=10, incorrect=1)
    other = audit_publish(audit=kent, by=supervisor)
    client.force_login(force_contact)

    assert client.get(version.get_absolute_url()).status_code == 200
    assert client.get(other.get_absolute_url()).status_code == 404
    # Kent's audit under Northamptonshire's address, and a version that does not exist.
    assert client.get(reverse("published_results", args=["northamptonshire", kent.pk, 1])).status_code == 404
    assert client.get(reverse("published_results", args=["northamptonshire", audit.pk, 2])).status_code == 404


def test_the_force_page_shows_each_published_audit_with_the_change_and_a_table(client, supervisor):
    earlier = data.audit(
        "northamptonshire", "Northamptonshire 2024-25", categories=[OTHER_SEXUAL], period_end=date(2025, 3, 31)
    )
    data.reviews(earlier, OTHER_SEXUAL, correct=42, incorrect=29)
    later = data.audit("northamptonshire", "Northamptonshire 2025-26", categories=[OTHER_SEXUAL])
    data.reviews(later, OTHER_SEXUAL, correct=18, incorrect=2)
    for each in (earlier, later):
        audit_publish(audit=each, by=supervisor)
    client.force_login(supervisor)

    page = client.get(reverse("force_results", args=["northamptonshire"])).content.decode()

    trend = page[page.index('id="trend-other_sexual"') :]
    assert "<svg" in trend
    assert "29 of 71" in trend
    assert "2 of 20" in trend
    assert "<strong>improved</strong>" in trend
    assert trend.index("Northamptonshire 2024-25") < trend.index("Northamptonshire 2025-26")


def _national_row(client, force_name, **params):
    rows = page_table(client.get(reverse("national_comparison"), params))
    return next(row for row in rows if row["Force"] == force_name)


def test_the_national_page_reads_published_results_only(client, audit, supervisor):
    client.force_login(supervisor)

    assert _national_row(client, "Northamptonshire Police")["Latest audit"] == "not audited"
    audit_publish(audit=audit, by=supervisor)
    assert _national_row(client, "Northamptonshire Police")["Other sexual offences"].startswith("10.0%")

    # Reopened and changed, the audit's live figures move; the page keeps to what was published.
    audit_reopen(audit=audit, by=supervisor, reason="Checking")
    audit.reviews.update(decision_correct="no", incorrect_reason="avi_not_verifiable")
    audit_sign_off(audit=audit, by=supervisor)
    assert _national_row(client, "Northamptonshire Police")["Other sexual offences"].startswith("10.0%")
    audit_publish(audit=audit, by=supervisor, correction_note="Every verdict was re-examined.")
    assert _national_row(client, "Northamptonshire Police")["Other sexual offences"].startswith("100.0%")


def test_the_national_figures_kept_in_the_cache_change_when_a_version_is_published(client, audit, supervisor):
    client.force_login(supervisor)
    audit_publish(audit=audit, by=supervisor)
    assert "charts" in client.get(reverse("national_comparison")).context  # drawn, then kept
    cached = client.get(reverse("national_comparison"))
    assert "charts" not in cached.context  # read from the cache
    assert _national_row(client, "Northamptonshire Police")["Other sexual offences"].startswith("10.0%")

    # A correction supersedes the version the cache was drawn from: the page shows the correction at once.
    audit_reopen(audit=audit, by=supervisor, reason="Checking")
    audit.reviews.update(decision_correct="no", incorrect_reason="avi_not_verifiable")
    audit_sign_off(audit=audit, by=supervisor)
    audit_publish(audit=audit, by=supervisor, correction_note="Every verdict was re-examined.")
    assert _national_row(client, "Northamptonshire Police")["Other sexual offences"].startswith("100.0%")

    # The forces are read live too: a renamed force is named anew.
    audit.force.name = "Northamptonshire Constabulary"
    audit.force.save()
    assert _national_row(client, "Northamptonshire Constabulary")["Other sexual offences"].startswith("100.0%")


def test_the_national_rates_of_every_financial_year_stand_side_by_side(client, supervisor):
    for code, name, end, incorrect in [
        ("kent", "Kent 2024-25", date(2025, 3, 31), 4),
        ("essex", "Essex 2024-25", date(2024, 12, 31), 2),
        ("kent", "Kent 2025-26", date(2026, 3, 31), 1),
    ]:
        each = data.audit(code, name, period_end=end, categories=[OTHER_SEXUAL])
        data.reviews(each, OTHER_SEXUAL, correct=20 - incorrect, incorrect=incorrect)
    data.publish_signed_off()
    client.force_login(supervisor)

    page = client.get(reverse("national_comparison"), {"period": "2024"}).content.decode()

    periods = page[page.index('id="period-rates"') : page.index("</table>", page.index('id="period-rates"'))]
    later, earlier = periods.index("April 2025 to March 2026"), periods.index("April 2024 to March 2025 (shown)")
    assert later < earlier
    assert "1 of 20" in periods[later:earlier]
    assert "6 of 40" in periods[earlier:]
    assert _national_row(client, "Kent Police", period="2024")["Latest audit"].startswith("Kent 2024-25")


def test_a_force_contact_reads_the_published_version_and_not_the_live_reviews(client, audit, supervisor, force_contact):
    client.force_login(force_contact)
    url = reverse("force_results", args=["northamptonshire"])

    assert "Northamptonshire Police: not audited." in client.get(url).content.decode()
    version = audit_publish(audit=audit, by=supervisor)
    audit_reopen(audit=audit, by=supervisor, reason="Checking")
    audit.reviews.update(decision_correct="no", incorrect_reason="avi_not_verifiable")
    audit_sign_off(audit=audit, by=supervisor)

    page = client.get(url).content.decode()
    assert "wrongly cancelled 1 in 10 other sexual offence records reviewed (2 of 20)" in page
    assert version.get_absolute_url() in page
    assert client.get(reverse("force_audit_results", args=["northamptonshire", audit.pk])).status_code == 200
    assert client.get(reverse("force_audit_results", args=["northamptonshire", audit.pk + 100])).status_code == 404
