"""Stored uploads are deleted once old enough (`tidy_imports`), never while a job still needs them."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from reviews.imports.selectors import import_job_status
from reviews.models import ImportJob, ImportKind, ImportState

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_KEEP_UPLOADS_DAYS = 30


def stored_job(*, by, days_old: int, state=ImportState.DONE, with_errors: bool = False, **fields) -> ImportJob:
    job = ImportJob(
        kind=ImportKind.DECISIONS,
        file_name="decisions.csv",
        created_by=by,
        created_at=timezone.now() - timedelta(days=days_old),
        state=state,
        **fields,
    )
    job.upload.save("decisions.csv", ContentFile(b"force,crime_reference\n"), save=False)
    if with_errors:
        job.errors_file.save(f"imports/{job.token}.errors.csv", ContentFile(b"row,column\n"), save=False)
    job.save()
    return job


def tidy(*arguments: str) -> str:
    output = StringIO()
    call_command("tidy_imports", *arguments, stdout=output)
    return output.getvalue()


def test_files_older_than_the_kept_days_are_deleted_and_the_job_is_kept_as_a_record(data_steward):
    old = stored_job(by=data_steward, days_old=31, with_errors=True, state=ImportState.FAILED)
    recent = stored_job(by=data_steward, days_old=29)
    old_upload, old_errors = old.upload.path, old.errors_file.path

    assert tidy() == "Deleted the stored files of 1 import older than 30 days.\n"

    old.refresh_from_db()
    assert old.upload_deleted_at is not None
    assert not old.errors_file
    assert not Path(old_upload).exists()
    assert not Path(old_errors).exists()
    recent.refresh_from_db()
    assert recent.upload_deleted_at is None
    assert recent.upload.storage.exists(recent.upload.name)
    # Run again, nothing more to do.
    assert tidy() == "Deleted the stored files of 0 imports older than 30 days.\n"


@pytest.mark.parametrize("state", [ImportState.QUEUED, ImportState.RUNNING])
def test_a_job_not_finished_keeps_its_file_however_old(data_steward, state):
    waiting = stored_job(by=data_steward, days_old=90, state=state)

    tidy()

    waiting.refresh_from_db()
    assert waiting.upload_deleted_at is None
    assert waiting.upload.storage.exists(waiting.upload.name)


def test_an_old_check_keeps_the_file_its_import_is_still_running_on(data_steward):
    check = stored_job(by=data_steward, days_old=40, check_only=True)
    running = ImportJob.objects.create(
        kind=ImportKind.DECISIONS,
        file_name=check.file_name,
        upload=check.upload.name,
        check_only=False,
        checked_by=check,
        created_by=data_steward,
        state=ImportState.RUNNING,
    )

    tidy("--days", "0")

    check.refresh_from_db()
    assert check.upload_deleted_at is None
    assert running.upload.storage.exists(running.upload.name)


def test_a_check_whose_file_was_tidied_away_is_no_longer_offered_for_import(data_steward):
    check = stored_job(by=data_steward, days_old=31, check_only=True, counts={"new": 1, "updated": 0, "unchanged": 0})
    assert import_job_status(check)["can_import"]

    tidy()

    check.refresh_from_db()
    assert not import_job_status(check)["can_import"]


def test_the_days_kept_cannot_be_negative(data_steward):
    with pytest.raises(CommandError, match="0 or more"):
        tidy("--days", "-1")
