from django.db import migrations

from forces.data import read_forces, upsert_forces


def load_forces(apps, schema_editor):
    upsert_forces(
        read_forces(),
        force_model=apps.get_model("forces", "Force"),
        former_name_model=apps.get_model("forces", "FormerName"),
    )


class Migration(migrations.Migration):
    dependencies = [("forces", "0001_initial")]

    # Forces are reference data that audits point at: unapplying leaves them in place.
    operations = [migrations.RunPython(load_forces, migrations.RunPython.noop)]
