"""Releases of the open data package: building and keeping the next one (with every publication, or by the
`open_data_release` command), and reading them back for the open data page."""

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from reviews.models import OpenDataFile, OpenDataRelease, PublishedResults
from reviews.results.opendata.package import package_data, package_files
from reviews.results.published import published_signature

# Any fixed number: the key of the PostgreSQL lock that numbers releases one at a time.
RELEASE_LOCK = 7_205_311


def _one_release_at_a_time() -> None:
    """Hold a lock until the transaction ends, so two publications at once make releases 7 and 8, the second
    holding both versions, rather than two releases 7. SQLite's transactions already take the write lock as they
    begin."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RELEASE_LOCK])


def published_state() -> str:
    """The published versions a release holds, as `published.published_signature` counts them."""
    return "-".join(str(number) for number in published_signature())


@transaction.atomic
def open_data_release_build(*, published: PublishedResults | None = None) -> OpenDataRelease:
    """Build and keep the next release of the open data package from every version published so far; `published`
    is the publication it is built for (`publishing.audit_publish` builds one in its own transaction)."""
    _one_release_at_a_time()
    number = (OpenDataRelease.objects.aggregate(last=Max("number"))["last"] or 0) + 1
    created = timezone.now().replace(microsecond=0)
    release = OpenDataRelease(number=number, published=published, created_at=created, published_state=published_state())
    release.full_clean()
    release.save()
    files = package_files(data=package_data(today=timezone.localdate()), number=number, created=created)
    OpenDataFile.objects.bulk_create(
        OpenDataFile(
            release=release,
            name=built.name,
            title=built.title,
            media_type=built.media_type,
            content=built.content,
            size=len(built.content),
            sha256=built.sha256,
            position=position,
        )
        for position, built in enumerate(files)
    )
    return release


# Reads for the open data page.


def latest_release() -> OpenDataRelease | None:
    return OpenDataRelease.objects.latest_first().select_related("published__force").first()


def release_numbered(number: int) -> OpenDataRelease | None:
    return OpenDataRelease.objects.select_related("published__force").filter(number=number).first()


def release_files(release: OpenDataRelease) -> list[OpenDataFile]:
    """The release's files as the page lists them, without their contents."""
    return list(release.files.defer("content").order_by("position"))


def release_file(*, number: int, name: str) -> OpenDataFile | None:
    return OpenDataFile.objects.select_related("release").filter(release__number=number, name=name).first()


def recent_releases(*, limit: int = 20) -> list[OpenDataRelease]:
    """The latest `limit` releases, newest first; older ones stay at their addresses."""
    return list(OpenDataRelease.objects.latest_first().select_related("published__force")[:limit])
