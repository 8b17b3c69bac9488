"""Published results: each version of a signed-off audit's results, frozen as JSON with its canonical CSV and
SHA-256, a correction note from version 2 on, and when a later version superseded it. Self-contained: it creates
one table and depends on nothing added after 0004."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("forces", "0002_load_forces"),
        ("reviews", "0006_actions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PublishedResults",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("period_start", models.DateField()),
                ("period_end", models.DateField()),
                ("version", models.PositiveIntegerField()),
                ("figures", models.JSONField()),
                ("csv", models.TextField(verbose_name="Canonical CSV")),
                ("sha256", models.CharField(max_length=64, verbose_name="SHA-256 of the CSV")),
                (
                    "correction_note",
                    models.TextField(blank=True, help_text="What a corrected version changed, and why."),
                ),
                ("signed_off_at", models.DateTimeField(help_text="The sign-off whose results this version publishes.")),
                ("published_at", models.DateTimeField()),
                ("superseded_at", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "audit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="published_versions",
                        to="reviews.audit",
                    ),
                ),
                (
                    "force",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="published_results", to="forces.force"
                    ),
                ),
                (
                    "published_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "verbose_name": "published results",
                "verbose_name_plural": "published results",
                "ordering": ["force", "-period_end", "-version"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("superseded_at__isnull", True)),
                        fields=["force", "period_end"],
                        name="published_current_by_force",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("audit", "version"),
                        name="published_results_version_unique_per_audit",
                        violation_error_message="This version of the audit's results is already published.",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("superseded_at__isnull", True)),
                        fields=("audit",),
                        name="published_results_one_current_per_audit",
                        violation_error_message="The audit already has a current published version.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("version__gte", 1)), name="published_results_version_from_1"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("version", 1), models.Q(("correction_note", ""), _negated=True), _connector="OR"
                        ),
                        name="published_results_correction_has_note",
                    ),
                ],
            },
        ),
    ]
