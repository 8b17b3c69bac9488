from django.core.management.base import BaseCommand

from reviews.results.opendata import latest_release, open_data_release_build, published_state


class Command(BaseCommand):
    help = (
        "Build a release of the open data package from every version published so far. Each publication builds "
        "one already: run it once for versions published before releases existed (it does nothing when the latest "
        "release holds every published version), or with --always to refresh the actions put right, which move on "
        "between publications."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--always", action="store_true", help="Build a release even if the latest holds every published version."
        )

    def handle(self, *args, always: bool = False, **options):
        latest = latest_release()
        if not always and latest is not None and latest.published_state == published_state():
            self.stdout.write(f"Release {latest.number} holds every published version: no release built.")
            return
        release = open_data_release_build()
        self.stdout.write(f"Release {release.number} built: {release.get_absolute_url()}")
