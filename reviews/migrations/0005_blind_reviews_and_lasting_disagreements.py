"""Reviews keep their first submitted answers, and disagreements are closed rather than deleted.

Agreement between auditors is measured on each review's answers as first submitted, so a review keeps them (and
when it was first submitted) from then on. Existing reviews get them from their history: the earliest recorded
version that was submitted or approved, or, for a review with no such version (loaded without history), its
answers as they stand. One UPDATE with correlated subqueries, so it stays quick on a national database.

A disagreement whose reviews came to agree after a return used to be deleted; now it is closed with its reason.
Those deleted before are restored from their history as closed, where both reviews still exist and no later
disagreement on the same pair has taken their place.
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce

FINISHED = ["submitted", "approved"]
CLOSED_IN_AGREEMENT = "Closed: resubmitted in agreement"
# The reason the history gave a disagreement deleted when its reviews came to agree.
DELETED_IN_AGREEMENT = "The two reviews now agree"


def keep_first_submissions(apps, schema_editor):
    Review = apps.get_model("reviews", "Review")
    HistoricalReview = apps.get_model("reviews", "HistoricalReview")
    first = HistoricalReview.objects.filter(id=OuterRef("pk"), status__in=FINISHED).order_by(
        "history_date", "history_id"
    )
    submitted_once = Review.objects.filter(
        models.Q(status__in=FINISHED)
        | models.Q(pk__in=HistoricalReview.objects.filter(status__in=FINISHED).values("id"))
    )
    submitted_once.update(
        first_submitted_at=Coalesce(Subquery(first.values("history_date")[:1]), F("submitted_at"), F("updated_at")),
        first_decision_correct=Coalesce(Subquery(first.values("decision_correct")[:1]), F("decision_correct")),
        first_victim_informed=Coalesce(Subquery(first.values("victim_informed")[:1]), F("victim_informed")),
    )


def delete_closed_disagreements(apps, schema_editor):
    # Going back: the earlier schema has no closed state, and its code deleted these.
    apps.get_model("reviews", "Disagreement").objects.filter(closed_at__isnull=False).delete()


def restore_deleted_disagreements(apps, schema_editor):
    Disagreement = apps.get_model("reviews", "Disagreement")
    HistoricalDisagreement = apps.get_model("reviews", "HistoricalDisagreement")
    Review = apps.get_model("reviews", "Review")
    deletions = HistoricalDisagreement.objects.filter(
        history_type="-", history_change_reason=DELETED_IN_AGREEMENT
    ).order_by("history_date", "history_id")
    for deleted in deletions.exclude(id__in=Disagreement.objects.values("pk")):
        pair = [deleted.primary_review_id, deleted.second_review_id]
        if Review.objects.filter(pk__in=pair).count() != 2:
            continue
        if Disagreement.objects.filter(
            models.Q(primary_review_id__in=pair) | models.Q(second_review_id__in=pair)
        ).exists():
            continue
        restored = Disagreement.objects.create(
            id=deleted.id,
            audit_id=deleted.audit_id,
            decision_id=deleted.decision_id,
            primary_review_id=deleted.primary_review_id,
            second_review_id=deleted.second_review_id,
            decision_correct_differs=deleted.decision_correct_differs,
            victim_informed_differs=deleted.victim_informed_differs,
            detected_at=deleted.detected_at,
            closed_at=deleted.history_date,
            closed_reason=CLOSED_IN_AGREEMENT,
        )
        # `detected_at` is set on creation: put back when the disagreement was really found.
        Disagreement.objects.filter(pk=restored.pk).update(detected_at=deleted.detected_at)
        restored.detected_at = deleted.detected_at
        HistoricalDisagreement.objects.create(
            id=restored.id,
            audit_id=restored.audit_id,
            decision_id=restored.decision_id,
            primary_review_id=restored.primary_review_id,
            second_review_id=restored.second_review_id,
            decision_correct_differs=restored.decision_correct_differs,
            victim_informed_differs=restored.victim_informed_differs,
            detected_at=restored.detected_at,
            reason="",
            closed_at=restored.closed_at,
            closed_reason=restored.closed_reason,
            history_date=deleted.history_date,
            history_type="+",
            history_user_id=deleted.history_user_id,
            history_change_reason=f"{CLOSED_IN_AGREEMENT} (restored: it had been deleted)",
        )
    if schema_editor.connection.vendor == "postgresql":
        # Rows created with their old ids leave the id sequence behind them.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('reviews_disagreement', 'id'),"
                " COALESCE((SELECT MAX(id) FROM reviews_disagreement), 1))"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0004_decision_matches_crime_record"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="disagreement",
            name="closed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="disagreement",
            name="closed_reason",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Only when closed without a final verdict.",
                verbose_name="Why it was closed",
            ),
        ),
        migrations.AddField(
            model_name="historicaldisagreement",
            name="closed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="historicaldisagreement",
            name="closed_reason",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Only when closed without a final verdict.",
                verbose_name="Why it was closed",
            ),
        ),
        migrations.AddField(
            model_name="review",
            name="first_decision_correct",
            field=models.CharField(
                blank=True,
                choices=[("yes", "Yes"), ("no", "No"), ("cannot_tell", "Cannot tell from the record")],
                editable=False,
                max_length=12,
                verbose_name="Decision correct when first submitted",
            ),
        ),
        migrations.AddField(
            model_name="review",
            name="first_submitted_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="review",
            name="first_victim_informed",
            field=models.CharField(
                blank=True,
                choices=[("yes", "Yes"), ("no", "No"), ("no_record", "No auditable record")],
                editable=False,
                max_length=10,
                verbose_name="Victim informed when first submitted",
            ),
        ),
        migrations.AddConstraint(
            model_name="disagreement",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("closed_at__isnull", True), ("closed_reason", "")),
                    models.Q(
                        ("closed_at__isnull", False),
                        ("resolved_at__isnull", True),
                        models.Q(("closed_reason", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="disagreement_closed_with_reason_and_unsettled",
            ),
        ),
        migrations.AddConstraint(
            model_name="review",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("first_decision_correct", ""),
                    ("first_decision_correct__in", ["yes", "no", "cannot_tell"]),
                    _connector="OR",
                ),
                name="review_first_decision_correct_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="review",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("first_victim_informed", ""),
                    ("first_victim_informed__in", ["yes", "no", "no_record"]),
                    _connector="OR",
                ),
                name="review_first_victim_informed_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="review",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("first_submitted_at__isnull", False),
                    models.Q(("first_decision_correct", ""), ("first_victim_informed", "")),
                    _connector="OR",
                ),
                name="review_first_answers_only_once_submitted",
            ),
        ),
        # Data last: on PostgreSQL a table cannot be altered in the transaction after rows it checks later.
        migrations.RunPython(keep_first_submissions, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(restore_deleted_disagreements, delete_closed_disagreements, elidable=True),
    ]
