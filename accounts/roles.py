"""The four roles of the application, held as Django groups (created by a data migration)."""

from django.db import models


class Role(models.TextChoices):
    AUDITOR = "Auditor", "Auditor"
    SUPERVISOR = "Supervisor", "Supervisor"
    DATA_STEWARD = "Data steward", "Data steward"
    FORCE_CONTACT = "Force contact", "Force contact"


# Model permissions each role's group holds: (app_label, model, actions).
ROLE_PERMISSIONS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    Role.AUDITOR: [
        ("forces", "force", ("view",)),
        ("reviews", "crimerecord", ("view",)),
        ("reviews", "cancellationdecision", ("view",)),
        ("reviews", "audit", ("view",)),
        ("reviews", "review", ("view", "change")),
    ],
    Role.SUPERVISOR: [
        ("forces", "force", ("view",)),
        ("reviews", "crimerecord", ("view",)),
        ("reviews", "cancellationdecision", ("view",)),
        ("reviews", "audit", ("view", "add", "change")),
        ("reviews", "auditcategory", ("view", "add", "change", "delete")),
        ("reviews", "review", ("view", "add", "change")),
    ],
    Role.DATA_STEWARD: [
        ("forces", "force", ("view", "add", "change")),
        ("forces", "formername", ("view", "add", "change", "delete")),
        ("reviews", "crimerecord", ("view", "add", "change", "delete")),
        ("reviews", "cancellationdecision", ("view", "add", "change", "delete")),
        ("reviews", "audit", ("view",)),
        ("reviews", "auditcategory", ("view",)),
        ("reviews", "review", ("view",)),
        ("accounts", "user", ("view", "add", "change")),
        ("auth", "group", ("view",)),
    ],
    Role.FORCE_CONTACT: [],
}
