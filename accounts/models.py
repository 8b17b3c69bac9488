from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from accounts.roles import Role


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

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def clean(self):
        super().clean()
        # Group membership is saved after the user row, so the admin form checks the pair (accounts.admin).
        if self.pk and self.has_role(Role.FORCE_VIEWER) and self.force_id is None:
            raise ValidationError({"force": "A force viewer must be tied to a force."})

    @cached_property
    def roles(self) -> frozenset[str]:
        """Names of the roles (groups) this user holds; read once per request."""
        if not self.is_active:
            return frozenset()
        return frozenset(self.groups.filter(name__in=Role.values).values_list("name", flat=True))

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_auditor(self) -> bool:
        return self.has_role(Role.AUDITOR)

    @property
    def is_supervisor(self) -> bool:
        return self.has_role(Role.SUPERVISOR)

    @property
    def is_data_steward(self) -> bool:
        return self.has_role(Role.DATA_STEWARD)

    @property
    def is_force_viewer(self) -> bool:
        return self.has_role(Role.FORCE_VIEWER)
