"""The receiving force's index holds transfers only: a cancellation (most decisions) has no receiving force, and
indexing its NULL cost every import a write per decision for look-ups that never ask for NULL."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("forces", "0002_load_forces"),
        ("reviews", "0010_import_job_via"),
    ]

    operations = [
        migrations.AlterField(
            model_name="cancellationdecision",
            name="receiving_force",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="Transfers (C1) only: the force where the crime happened.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="received_transfers",
                to="forces.force",
            ),
        ),
        migrations.AddIndex(
            model_name="cancellationdecision",
            index=models.Index(
                condition=models.Q(("receiving_force__isnull", False)),
                fields=["receiving_force"],
                name="decision_receiving_force",
            ),
        ),
    ]
