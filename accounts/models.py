from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.roles import Role


class PasswordChange:
    """What a person's history says of their password; the hash itself is never copied into the history."""

    SET = "Password set"
    SWITCHED_OFF = "Password switched off"
    LINK_ISSUED = "Set-password link issued: the password in use until now no longer works"


# The fields Django saves, and no others, as it signs a person in.
SIGN_IN_FIELDS = frozenset({"last_login", "password"})


class AccountHistory(HistoricalRecords):
    """The history of a person's account: every change to their details, roles, status or password, and who
    made it (the signed-in person, or the person named by the service that made the change).

    The password hash is never copied: an entry for a new password, or for one switched off, says so in its
    reason. Signing in saves only `last_login` (the time) and, after an upgrade, `password` (the same password,
    hashed more strongly); neither is a change to the account, so such a save adds no entry. Every change of
    password saves the whole account, as Django's own forms and commands do.
    """

    def post_save(self, instance, created, using=None, **kwargs):
        if kwargs.get("raw"):
            # Loading a backup (loaddata): the history comes back with the accounts. Django then sets the
            # account's groups without saying that it is loading, so the account is marked to add no entry.
            instance.skip_history_when_saving = True
            return
        update_fields = kwargs.get("update_fields")
        if update_fields is None or not set(update_fields) <= SIGN_IN_FIELDS:
            super().post_save(instance, created, using=using, **kwargs)
        instance.__dict__.pop("_password_change", None)

    def record(self, instance, *, created: bool) -> None:
        """Add one entry for `instance` as it stands, for a change saved with `skip_history_when_saving` set
        so that the account and its roles (which Django saves after it) make one entry rather than several."""
        self.create_historical_record(instance, "+" if created else "~")

    def get_change_reason_for_object(self, instance, history_type, using):
        reason = super().get_change_reason_for_object(instance, history_type, using)
        if reason or history_type != "~":
            return reason
        return getattr(instance, "_password_change", None)


account_history = AccountHistory(
    excluded_fields=["password", "last_login"],
    m2m_fields=["groups", "user_permissions"],
    history_change_reason_field=models.TextField(null=True),
)


class User(AbstractUser):
    """A person who signs in. A force viewer is tied to the one force whose results they may see."""

    force = models.ForeignKey(
        "forces.Force",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text="Force viewers only: the force whose signed-off results this person may see.",
    )

    history = account_history

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def clean(self):
        super().clean()
        # Group membership is saved after the user row, so the admin forms check the pair (accounts.forms).
        if self.pk and self.has_role(Role.FORCE_VIEWER) and self.force_id is None:
            raise ValidationError({"force": "A force viewer must be tied to a force."})

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self._password_change = PasswordChange.SET if raw_password is not None else PasswordChange.SWITCHED_OFF

    def set_unusable_password(self):
        super().set_unusable_password()
        self._password_change = PasswordChange.SWITCHED_OFF

    @cached_property
    def roles(self) -> frozenset[str]:
        """Names of the roles (groups) this user holds; read once per request."""
        if not self.is_active:
            return frozenset()
        if "groups" in getattr(self, "_prefetched_objects_cache", {}):
            # Groups fetched with a list of people (`prefetch_related("groups")`) need no query per person.
            return frozenset(group.name for group in self.groups.all() if group.name in Role.values)
        return frozenset(self.groups.filter(name__in=Role.values).values_list("name", flat=True))

    def has_role(self, role: Role) -> bool:
        """Whether this user holds the group `role`: a fact about the account, not a permission. What a person
        may do, superusers included, is for the permission rules to say (`reviews.permissions`)."""
        return role in self.roles


class AccessAction(models.TextChoices):
    SIGNED_IN = "signed_in", "Signed in"
    SIGNED_OUT = "signed_out", "Signed out"
    LOCKED_OUT = "locked_out", "Locked out after failed sign-ins"
    VIEWED = "viewed", "Viewed"
    EXPORTED = "exported", "Exported"
    IMPORTED = "imported", "Imported"


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an access record."""


class AccessRecordQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Access records cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Access records cannot be deleted.")

    def by_user(self, user) -> "AccessRecordQuerySet":
        return self.filter(user=user)


class AccessRecord(models.Model):
    """Who did what to which record, and when: a view of a review, an export, an import, a sign-in.

    Records are evidence of access to sensitive data, so they are only ever added: the application has no
    way to change or delete one, and on PostgreSQL a trigger refuses UPDATE and DELETE on the table itself.
    """

    at = models.DateTimeField(default=timezone.now, editable=False, verbose_name="when")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_records",
        help_text="Empty for a lockout of a username that belongs to no one.",
    )
    username = models.CharField(
        max_length=150, blank=True, help_text="The username at the time, or as typed at a lockout."
    )
    action = models.CharField(max_length=20, choices=AccessAction.choices)
    object_type = models.CharField(max_length=50, blank=True, help_text="What kind of record, e.g. review.")
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=255, blank=True, help_text="The record as people know it.")
    details = models.JSONField(
        default=dict,
        blank=True,
        encoder=DjangoJSONEncoder,
        help_text="Table, filters and row count of an export; file name, size and row count of an import.",
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True, verbose_name="address")

    objects = AccessRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=AccessAction.values), name="access_record_action_valid"),
        ]
        indexes = [
            models.Index(fields=["-at"], name="access_record_at"),
            models.Index(fields=["user", "-at"], name="access_record_user_at"),
            models.Index(fields=["action", "-at"], name="access_record_action_at"),
        ]

    def __str__(self) -> str:
        what = f" {self.object_label}" if self.object_label else ""
        return f"{self.username} {self.get_action_display().lower()}{what}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Access records cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Access records cannot be deleted.")
