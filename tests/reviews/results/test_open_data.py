"""The open data package of the published results: a valid Frictionless Data Package, numbers that pandas reads as
numbers and that equal the pages' figures digit for digit, every version of a corrected audit, immutable releases,
and the page that lists them."""

import csv
import hashlib
import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import frictionless
import pandas as pd
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from reviews.models import IncorrectReason, OffenceCategory, OpenDataRelease, Verdict
from reviews.results.opendata import TABLES, open_data_release_build
from reviews.results.publishing import audit_publish
from reviews.workflow.services import audit_reopen, audit_sign_off
from tests.factories import UserFactory
from tests.reviews.results import summary_data as data
from tests.reviews.results.test_views import csv_rows

pytestmark = pytest.mark.django_db

OTHER_SEXUAL = OffenceCategory.OTHER_SEXUAL
RAPE = OffenceCategory.RAPE
ROBBERY = OffenceCategory.ROBBERY
VIOLENCE = OffenceCategory.VIOLENCE
CORRECTION = "One violence verdict was keyed as incorrect."


@pytest.fixture
def published(db):
    """Three forces' audits published; Kent's then corrected (version 2), as the demo corrects Kent 2024-25."""
    northants = data.audit("northamptonshire", "Northamptonshire 2025-26", categories=[OTHER_SEXUAL, RAPE])
    data.reviews(northants, OTHER_SEXUAL, correct=18, incorrect=2, told=17, not_told=1, no_record=1)
    data.reviews(northants, RAPE, correct=17, told=5)
    kent = data.audit("kent", "Kent 2025-26", categories=[VIOLENCE, RAPE, ROBBERY])
    data.reviews(kent, VIOLENCE, correct=8, incorrect=9, told=12, not_told=4, reason=IncorrectReason.NOT_AUTHORISED)
    data.reviews(kent, RAPE, correct=3, incorrect=1)
    data.reviews(kent, ROBBERY, cannot_tell=3)
    essex = data.audit("essex", "Essex 2025-26", categories=[OTHER_SEXUAL])
    data.reviews(essex, OTHER_SEXUAL, correct=30, incorrect=1)
    data.publish_signed_off()
    supervisor = UserFactory(username="summary-supervisor", role=Role.SUPERVISOR)
    audit_reopen(audit=kent, by=supervisor, reason=CORRECTION)
    review = kent.reviews.filter(decision_correct=Verdict.NO, decision__crime_record__offence_category=VIOLENCE)[0]
    review.decision_correct, review.incorrect_reason = Verdict.YES, ""
    review.save()
    audit_sign_off(audit=kent, by=supervisor)
    audit_publish(audit=kent, by=supervisor, correction_note=CORRECTION)
    return {"northants": northants, "kent": kent, "essex": essex}


def release_files(release=None) -> dict[str, bytes]:
    release = release or OpenDataRelease.objects.latest_first().first()
    return {stored.name: bytes(stored.content) for stored in release.files.all()}


def table(files, name) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[f"{name}.csv"].decode("utf-8"))))


@pytest.fixture
def package_dir(published, tmp_path):
    for name, content in release_files().items():
        (tmp_path / name).write_bytes(content)
    return tmp_path


# The standard ---------------------------------------------------------------------------------------------------


def test_the_package_validates_as_a_frictionless_data_package(package_dir):
    report = frictionless.validate(package_dir / "datapackage.json")

    assert report.valid, report.flatten(["taskNumber", "rowNumber", "fieldName", "type", "note"])
    assert report.stats["tasks"] == len(TABLES)


def test_the_validator_catches_a_file_changed_after_release(package_dir):
    """The descriptor carries each file's size and SHA-256: a copy that differs by one figure fails validation."""
    path = package_dir / "categories.csv"
    path.write_bytes(path.read_bytes().replace(b",9,", b",8,", 1))

    report = frictionless.validate(package_dir / "datapackage.json")

    assert not report.valid
    assert "hash-count" in {error.type for task in report.tasks for error in task.errors}


def test_the_descriptor_describes_every_column_with_its_keys_licence_sources_and_methods(published):
    descriptor = json.loads(release_files()["datapackage.json"])

    assert descriptor["licenses"][0]["name"] == "OGL-UK-3.0"
    assert descriptor["sources"]
    assert "Wilson" in descriptor["description"]
    assert "Newcombe" in descriptor["description"]
    assert '"judged"' in descriptor["description"]
    for resource in descriptor["resources"]:
        assert resource["hash"].startswith("sha256:")
        assert resource["schema"]["primaryKey"]
        assert all(field["description"] and field["type"] for field in resource["schema"]["fields"])
    categories = next(resource for resource in descriptor["resources"] if resource["name"] == "categories")
    rate = next(field for field in categories["schema"]["fields"] if field["name"] == "incorrect_rate")
    assert rate["type"] == "number"
    assert "percentage" in rate["description"]
    assert {key["reference"]["resource"] for key in categories["schema"]["foreignKeys"]} == {"forces", "versions"}


def test_the_zip_holds_the_same_files_byte_for_byte(published):
    files = release_files()
    release = OpenDataRelease.objects.latest_first().first()

    archive = zipfile.ZipFile(io.BytesIO(files[f"open-data-release-{release.number}.zip"]))

    assert {name: archive.read(name) for name in archive.namelist()} == {
        name: content for name, content in files.items() if not name.endswith(".zip")
    }


# Numbers --------------------------------------------------------------------------------------------------------


def test_pandas_reads_every_numeric_column_as_numbers(package_dir):
    descriptor = json.loads((package_dir / "datapackage.json").read_text())

    for resource in descriptor["resources"]:
        frame = pd.read_csv(package_dir / resource["path"])
        for column in resource["schema"]["fields"]:
            if column["type"] in ("integer", "number"):
                assert pd.api.types.is_numeric_dtype(frame[column["name"]]), (resource["name"], column["name"])
            if column["type"] == "boolean":
                assert pd.api.types.is_bool_dtype(frame[column["name"]]), (resource["name"], column["name"])


def test_an_empty_figure_says_why_in_its_status_column(published):
    files = release_files()
    rows = {
        (row["force_code"], row["version"], row["category"]): row
        for row in table(files, "categories")
        if row["current"] == "true"
    }

    robbery = rows[("kent", "2", ROBBERY)]
    assert (robbery["status"], robbery["reviewed"], robbery["cannot_tell"], robbery["incorrect_rate"]) == (
        "none judged",
        "3",
        "3",
        "",
    )
    not_sampled = rows[("essex", "1", RAPE)]
    assert (not_sampled["status"], not_sampled["reviewed"], not_sampled["incorrect_rate"]) == ("not sampled", "", "")
    assert rows[("essex", "1", OTHER_SEXUAL)]["status"] == ""
    forces = {row["code"]: row for row in table(files, "forces")}
    assert (forces["cumbria"]["status"], forces["cumbria"]["latest_audit_id"]) == ("not audited", "")
    assert len(forces) == 43
    actions = {row["force_code"]: row for row in table(files, "actions")}
    assert (actions["cumbria"]["status"], actions["cumbria"]["put_right_rate"]) == ("no actions", "")


# Figure for figure with the pages --------------------------------------------------------------------------------


def _percent(value) -> str:
    return "" if value is None else str(value)


def test_the_figures_equal_the_national_page_and_its_export(client, published):
    files = release_files()
    client.force_login(UserFactory(role=Role.AUDITOR))
    *exported, national_row = csv_rows(client.get(reverse("national_comparison"), {"_export": "csv"}))
    page = client.get(reverse("national_comparison"))
    by_force = {row["Force"]: row for row in exported}
    forces = {row["code"]: row["name"] for row in table(files, "forces")}
    in_comparison = {
        (row["audit_id"], row["version"]) for row in table(files, "versions") if row["in_national_comparison"] == "true"
    }

    compared = 0
    for row in table(files, "categories"):
        if (row["audit_id"], row["version"]) not in in_comparison or row["category"] == OffenceCategory.OTHER:
            continue
        shown = by_force[forces[row["force_code"]]]
        label = OffenceCategory(row["category"]).label
        for column, heading in [
            ("reviewed", "reviewed"),
            ("cannot_tell", "cannot tell"),
            ("judged", "judged"),
            ("incorrect", "incorrect"),
            ("incorrect_rate", "incorrect %"),
            ("incorrect_rate_lower_95", "interval from %"),
            ("incorrect_rate_upper_95", "interval to %"),
            ("compared_with_national", "compared with national rate"),
        ]:
            assert row[column] == shown[f"{label}: {heading}"], (row["force_code"], label, column)
        compared += 1
    assert compared == 3 * 4

    national = {row["category"]: row for row in table(files, "national") if row["period"] == "latest"}
    shown = page.context["comparison"].national
    for category, share in shown.items():
        row = national[category]
        assert (row["judged"], row["incorrect"]) == ((str(share.total), str(share.count)) if share.exists else ("", ""))
        assert (row["incorrect_rate"], row["incorrect_rate_lower_95"], row["incorrect_rate_upper_95"]) == (
            _percent(share.percent),
            _percent(share.lower_percent),
            _percent(share.upper_percent),
        )
        label = OffenceCategory(category).label
        assert row["incorrect_rate"] == national_row[f"{label}: incorrect %"]
    periods = {(row["period"], row["category"]): row for row in table(files, "national") if row["period"] != "latest"}
    for period in page.context["periods"]:
        for category, share in period.national.items():
            row = periods[(f"{period.year}-{(period.year + 1) % 100:02d}", category)]
            assert (row["incorrect_rate"], row["forces"]) == (_percent(share.percent), str(period.forces))


def test_the_figures_equal_each_published_versions_page(client, published):
    files = table(release_files(), "categories")
    victims = {(row["audit_id"], row["version"]): row for row in table(release_files(), "victims")}
    client.force_login(UserFactory(role=Role.SUPERVISOR))

    for version in published["kent"].published_versions.all() | published["essex"].published_versions.all():
        results = client.get(version.get_absolute_url()).context["results"]
        for figures in results.categories:
            row = next(
                row
                for row in files
                if (row["audit_id"], row["version"], row["category"])
                == (str(version.audit_id), str(version.version), figures.category)
            )
            share = figures.incorrect_share
            assert row["incorrect"] == str(figures.incorrect)
            assert row["incorrect_rate"] == _percent(share.percent)
            assert row["incorrect_rate_lower_95"] == _percent(share.lower_percent)
            assert row["incorrect_rate_upper_95"] == _percent(share.upper_percent)
            assert row["national_rate_at_publication"] == _percent(figures.national.percent)
            assert row["compared_with_national_at_publication"] == figures.compared_with_national
        told = victims[(str(version.audit_id), str(version.version))]
        assert (told["should_have_been_told"], told["not_told"]) == (
            str(results.total.victims_should),
            str(results.total.victims_not_told),
        )


def test_the_figures_equal_a_force_contacts_page(client, published):
    contact = UserFactory(role=Role.FORCE_CONTACT, force=published["northants"].force)
    client.force_login(contact)
    results = client.get(reverse("force_results", args=["northamptonshire"])).context["results"]
    rows = {
        row["category"]: row for row in table(release_files(), "categories") if row["force_code"] == "northamptonshire"
    }

    other_sexual = rows[OTHER_SEXUAL]
    assert (other_sexual["incorrect"], other_sexual["judged"], other_sexual["incorrect_rate"]) == ("2", "20", "10.0")
    assert (other_sexual["incorrect_rate_lower_95"], other_sexual["incorrect_rate_upper_95"]) == ("2.8", "30.1")
    for figures in results.categories:
        assert rows[figures.category]["incorrect_rate"] == _percent(figures.incorrect_share.percent)


# Corrections -----------------------------------------------------------------------------------------------------


def test_a_correction_shows_both_versions_and_the_national_rates_use_the_current_one(published):
    files = release_files()
    versions = {(row["force_code"], row["version"]): row for row in table(files, "versions")}

    first, second = versions[("kent", "1")], versions[("kent", "2")]
    assert (first["current"], first["in_national_comparison"]) == ("false", "false")
    assert first["superseded_at"]
    assert not second["superseded_at"]
    assert (second["current"], second["in_national_comparison"], second["correction_note"]) == (
        "true",
        "true",
        CORRECTION,
    )
    violence = {
        row["version"]: row
        for row in table(files, "categories")
        if (row["force_code"], row["category"]) == ("kent", VIOLENCE)
    }
    assert (violence["1"]["incorrect"], violence["1"]["current"]) == ("9", "false")
    assert (violence["2"]["incorrect"], violence["2"]["current"]) == ("8", "true")
    national = {row["category"]: row for row in table(files, "national") if row["period"] == "latest"}
    assert (national[VIOLENCE]["incorrect"], national[VIOLENCE]["judged"]) == ("8", "17")
    assert (national[VIOLENCE]["incorrect_rate"]) == str(Decimal(800 / 17).quantize(Decimal("0.1")))


# Releases -------------------------------------------------------------------------------------------------------


def test_each_publication_makes_a_release_and_recent_releases_never_change(published, supervisor):
    releases = list(OpenDataRelease.objects.order_by("number"))
    assert [release.number for release in releases] == [1, 2, 3, 4]
    assert releases[-1].published.version == 2  # the correction
    before = release_files(releases[-1])

    cumbria = data.audit("cumbria", "Cumbria 2025-26", categories=[RAPE])
    data.reviews(cumbria, RAPE, correct=9, incorrect=1)
    audit_publish(audit=cumbria, by=supervisor)

    assert release_files(releases[-1]) == before
    newest = OpenDataRelease.objects.latest_first().first()
    assert newest.number == 5
    assert "cumbria" in {row["force_code"] for row in table(release_files(newest), "versions")}
    for stored in newest.files.all():
        assert stored.sha256 == hashlib.sha256(bytes(stored.content)).hexdigest()
        assert stored.size == len(bytes(stored.content))


def test_a_release_built_again_from_the_same_publications_holds_the_same_tables(published):
    """The command builds a release without a publication; the tables depend only on what was published."""
    last = release_files()
    release = open_data_release_build()

    again = release_files(release)
    for name in ("forces.csv", "versions.csv", "categories.csv", "victims.csv", "national.csv"):
        assert again[name] == last[name], name


# The page -------------------------------------------------------------------------------------------------------


def test_the_page_lists_the_files_with_size_sha256_and_their_publication(client, published):
    client.force_login(UserFactory(role=Role.AUDITOR))

    response = client.get(reverse("open_data"))

    page = response.content.decode()
    release = response.context["release"]
    assert release.number == 4
    assert "Kent 2025-26 (Kent Police), version 2" in page
    for stored in response.context["files"]:
        download = client.get(stored.get_absolute_url())
        content = b"".join(download.streaming_content) if download.streaming else download.content
        assert hashlib.sha256(content).hexdigest() == stored.sha256
        assert stored.sha256 in page
        assert f'data-bytes="{len(content)}"' in page
        assert download["Content-Disposition"] == f'attachment; filename="{stored.name}"'
    assert len(response.context["files"]) == len(TABLES) + 2
    assert client.get(reverse("open_data_release", args=[1])).context["release"].number == 1


def test_the_page_runs_the_same_queries_whatever_the_number_of_releases(client, published, django_assert_num_queries):
    client.force_login(UserFactory(role=Role.AUDITOR))
    client.get(reverse("open_data"))  # the first request after signing in also rotates the session
    # The session, the user and their roles (3); the latest release with its publication, its files, the releases
    # listed, and whether the publication's own page may be linked (4); saving the session (3).
    with django_assert_num_queries(10):
        client.get(reverse("open_data"))
    for name, category in [("cumbria", RAPE), ("dorset", ROBBERY)]:
        data.reviews(data.audit(name, f"{name} 2025-26", categories=[category]), category, correct=5)
    data.publish_signed_off()
    assert OpenDataRelease.objects.count() == 6
    with django_assert_num_queries(10):
        client.get(reverse("open_data"))


def test_before_anything_is_published_the_page_says_so(client):
    client.force_login(UserFactory(role=Role.AUDITOR))

    response = client.get(reverse("open_data"))

    assert response.status_code == 200
    assert "Nothing has been published yet" in response.content.decode()


def test_an_unknown_release_or_file_is_not_found(client, published):
    client.force_login(UserFactory(role=Role.AUDITOR))

    assert client.get(reverse("open_data_release", args=[99])).status_code == 404
    assert client.get(reverse("open_data_file", args=[1, "secrets.csv"])).status_code == 404
    assert client.get(reverse("open_data_file", args=[99, "categories.csv"])).status_code == 404


# Who may read it -------------------------------------------------------------------------------------------------


def test_signed_out_people_are_sent_to_sign_in_unless_the_results_are_public(client, published, settings):
    file_url = reverse("open_data_file", args=[4, "categories.csv"])
    assert client.get(reverse("open_data")).status_code == 302
    assert client.get(file_url).status_code == 302

    settings.RESULTS_PUBLIC = True

    assert client.get(reverse("open_data")).status_code == 200
    assert client.get(file_url).content == release_files()["categories.csv"]


def test_a_signed_in_person_without_a_role_is_refused_unless_the_results_are_public(client, published, settings):
    client.force_login(UserFactory())

    assert client.get(reverse("open_data")).status_code == 403
    settings.RESULTS_PUBLIC = True
    assert client.get(reverse("open_data")).status_code == 200


def test_a_force_contact_reads_no_other_force_s_figures_until_the_results_are_public(client, published, settings):
    contact = UserFactory(role=Role.FORCE_CONTACT, force=published["northants"].force)
    client.force_login(contact)

    assert client.get(reverse("open_data")).status_code == 403
    assert "Open data" not in [item["text"] for item in client.get(reverse("home")).context["navigation"]]

    settings.RESULTS_PUBLIC = True
    response = client.get(reverse("open_data"))
    assert response.status_code == 200
    # The publication's own page is Kent's: the contact of another force gets no link to it.
    assert not response.context["link_published"]


def test_the_actions_file_counts_published_findings_only(published):
    """An audit signed off but not published has raised its actions: the package must not tell what it found."""
    from reviews.remedies.services import actions_raise

    supervisor = UserFactory(username="summary-supervisor", role=Role.SUPERVISOR)
    unpublished = data.audit("hampshire", "Hampshire 2025-26", categories=[ROBBERY])
    data.reviews(unpublished, ROBBERY, correct=13, incorrect=7)
    actions_raise(audit=unpublished, by=supervisor)
    assert unpublished.actions.count() == 7

    actions = {row["force_code"]: row for row in table(release_files(open_data_release_build()), "actions")}

    assert (actions["hampshire"]["status"], actions["hampshire"]["actions"]) == ("no actions", "0")
    assert actions["kent"]["actions"] != ""


def test_the_package_holds_no_crime_reference(published):
    references = set(published["kent"].reviews.values_list("decision__crime_record__reference", flat=True))

    text = b"".join(content for name, content in release_files().items() if not name.endswith(".zip")).decode()

    assert references
    assert not any(reference in text for reference in references)


def test_a_download_by_a_signed_in_person_is_kept_as_an_access_record(client, published):
    from accounts.models import AccessRecord

    person = UserFactory(role=Role.AUDITOR)
    client.force_login(person)

    client.get(reverse("open_data_file", args=[4, "national.csv"]))

    record = AccessRecord.objects.filter(user=person).exclude(details__file=None).get()
    assert (record.action, record.details["file"], record.object_label) == (
        "exported",
        "national.csv",
        "Open data release 4",
    )


def test_the_csv_keeps_line_ends_and_encoding_stable(published):
    for name, content in release_files().items():
        if name.endswith(".csv"):
            assert b"\r\n" not in content
            content.decode("utf-8")


def test_no_query_runs_per_version_when_building(published):
    with CaptureQueriesContext(connection) as few:
        open_data_release_build()
    for number in range(3):
        audit = data.audit("cumbria", f"Cumbria {number}", categories=[RAPE])
        data.reviews(audit, RAPE, correct=5)
    data.publish_signed_off()
    with CaptureQueriesContext(connection) as many:
        open_data_release_build()
    assert len(many) == len(few)


# The command ----------------------------------------------------------------------------------------------------


def test_the_command_builds_a_release_for_versions_published_before_releases_existed(published):
    OpenDataRelease.objects.all().delete()
    out = io.StringIO()

    call_command("open_data_release", stdout=out)
    call_command("open_data_release", stdout=out)

    assert "Release 1 built" in out.getvalue()
    assert "Release 1 holds every published version: no release built." in out.getvalue()
    assert OpenDataRelease.objects.get().published is None
    assert {row["force_code"] for row in table(release_files(), "versions")} == {"kent", "essex", "northamptonshire"}
    call_command("open_data_release", "--always", stdout=out)
    assert OpenDataRelease.objects.count() == 2


def test_the_service_writes_the_package_without_the_validator():
    """frictionless is in requirements-dev.txt only: no module of the service may import it."""
    root = Path(__file__).resolve().parents[3]
    importers = [
        str(path.relative_to(root))
        for package in ("accounts", "config", "forces", "reviews")
        for path in (root / package).rglob("*.py")
        if re.search(r"^\s*(import|from) frictionless\b", path.read_text(), re.MULTILINE)
    ]

    assert importers == []
    assert "frictionless" not in (root / "requirements.txt").read_text()
