from django.contrib import admin
from django.contrib.admin.apps import SimpleAdminConfig
from django.contrib.admin.checks import check_admin_app, check_dependencies
from django.core import checks


def check_discovered_admin(app_configs, **kwargs):
    """The admin's own checks, over every app's `admin` module, whether or not the URLs have been loaded yet."""
    admin.autodiscover()
    return check_admin_app(app_configs, **kwargs)


class AdminConfig(SimpleAdminConfig):
    """The admin, discovered when the URLs are loaded (`config.urls`) or the checks run, not at start-up.

    A management command that needs neither, such as `import_decisions`, then starts without importing
    the admin's modules and what they bring (django-import-export, tablib, openpyxl): a third of a second."""

    def ready(self):
        checks.register(check_dependencies, checks.Tags.admin)
        checks.register(check_discovered_admin, checks.Tags.admin)
