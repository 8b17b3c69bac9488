from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Users and roles"

    def ready(self):
        from accounts import signals  # noqa: F401 (connects the access-record receivers)
