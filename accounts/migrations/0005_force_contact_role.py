import django.db.models.deletion
from django.db import migrations, models

OLD_NAME = "Force viewer"
NEW_NAME = "Force contact"


def rename_group(old: str, new: str):
    """Rename the role's group, keeping its id, its members and its place in every account's history. A database
    migrated from scratch already has the new group (0002 creates the roles as they are named now): the old
    one's members then join it and the old group goes."""

    def run(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        previous = Group.objects.filter(name=old).first()
        if previous is None:
            return
        current = Group.objects.filter(name=new).first()
        if current is None:
            previous.name = new
            previous.save(update_fields=["name"])
            return
        memberships = apps.get_model("accounts", "User").groups.through.objects
        already = memberships.filter(group=current).values("user_id")
        memberships.filter(group=previous).exclude(user_id__in=already).update(group=current)
        previous.delete()

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_history"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("forces", "0002_load_forces"),
    ]

    operations = [
        migrations.RunPython(rename_group(OLD_NAME, NEW_NAME), rename_group(NEW_NAME, OLD_NAME)),
        migrations.AlterField(
            model_name="historicaluser",
            name="force",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="Force contacts only: the force whose signed-off results this person may see and whose actions they record.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="forces.force",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="force",
            field=models.ForeignKey(
                blank=True,
                help_text="Force contacts only: the force whose signed-off results this person may see and whose actions they record.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="users",
                to="forces.force",
            ),
        ),
    ]
