"""A decision's crime record, force and recorded date checked by one composite foreign key on PostgreSQL.

A decision keeps copies of its crime record's force and recorded date so that two counting rules can be check
constraints. One foreign key, (crime_record_id, force_id, recorded_on) to the crime record's (id, force_id,
recorded_on), replaces the separate keys to the crime record and to the force: the database then guarantees the
copies match (a change to the crime record carries over to its decision), and checks each new decision once
rather than twice, which is most of the cost of a large import. Single-column indexes that composite indexes
already cover, and the index on the five-valued criterion, go too. SQLite, the local default, keeps no keys for
these two columns: the application writes them only from the crime record.
"""

import django.db.models.deletion
from django.db import migrations, models

COMPOSITE_KEY = [
    "ALTER TABLE reviews_crimerecord ADD CONSTRAINT crime_record_id_force_recorded_on_unique"
    " UNIQUE (id, force_id, recorded_on)",
    "ALTER TABLE reviews_cancellationdecision ADD CONSTRAINT decision_matches_crime_record"
    " FOREIGN KEY (crime_record_id, force_id, recorded_on)"
    " REFERENCES reviews_crimerecord (id, force_id, recorded_on)"
    " ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED",
]
NO_COMPOSITE_KEY = [
    "ALTER TABLE reviews_cancellationdecision DROP CONSTRAINT decision_matches_crime_record",
    "ALTER TABLE reviews_crimerecord DROP CONSTRAINT crime_record_id_force_recorded_on_unique",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("forces", "0002_load_forces"),
        ("reviews", "0003_quality_assurance"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="cancellationdecision",
            name="decision_criterion",
        ),
        migrations.AlterField(
            model_name="cancellationdecision",
            name="crime_record",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="decision",
                to="reviews.crimerecord",
            ),
        ),
        migrations.AlterField(
            model_name="cancellationdecision",
            name="force",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="decisions",
                to="forces.force",
            ),
        ),
        migrations.AlterField(
            model_name="crimerecord",
            name="force",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="crime_records",
                to="forces.force",
            ),
        ),
        migrations.RunPython(_run(COMPOSITE_KEY), _run(NO_COMPOSITE_KEY)),
    ]
