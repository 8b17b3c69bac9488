from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse


class Country(models.TextChoices):
    ENGLAND = "England", "England"
    WALES = "Wales", "Wales"


class ForceQuerySet(models.QuerySet):
    def matching(self, name_or_code: str) -> "ForceQuerySet":
        """Forces whose code, current name or a former name is `name_or_code`, ignoring case and spacing."""
        value = " ".join((name_or_code or "").split())
        return self.filter(
            models.Q(code__iexact=value) | models.Q(name__iexact=value) | models.Q(former_names__name__iexact=value)
        ).distinct()

    def resolve(self, name_or_code: str) -> "Force":
        """The one force known by `name_or_code`; raises `Force.DoesNotExist` when there is none."""
        forces = list(self.matching(name_or_code)[:2])
        if len(forces) != 1:
            raise Force.DoesNotExist(f'No force called "{name_or_code}".')
        return forces[0]


class Force(models.Model):
    """One of the 43 territorial police forces of England and Wales."""

    code = models.SlugField(max_length=50, unique=True, help_text="Stable identifier, as used by data.police.uk.")
    name = models.CharField(max_length=100, unique=True)
    country = models.CharField(max_length=10, choices=Country.choices)
    region = models.CharField(max_length=50, db_index=True)

    objects = ForceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(country__in=Country.values), name="force_country_valid"),
            models.UniqueConstraint(Lower("name"), name="force_name_unique_ignoring_case"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:forces_force_change", args=[self.pk])

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class FormerName(models.Model):
    """A name a force used to be known by, still recognised by imports."""

    force = models.ForeignKey(Force, on_delete=models.CASCADE, related_name="former_names")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="former_name_unique_ignoring_case"),
        ]

    def __str__(self) -> str:
        return self.name
