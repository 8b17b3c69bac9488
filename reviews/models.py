import secrets
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, When
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from reviews import permissions
from reviews.errors import AuditLockedError


def _history(**options) -> HistoricalRecords:
    # Reasons (a reopening, a return to the auditor) can be longer than the package's default 100 characters.
    return HistoricalRecords(history_change_reason_field=models.TextField(null=True), **options)


class CheckedModel(models.Model):
    """A model whose `clean()` and field validation state every check constraint in words.

    `full_clean()` therefore skips Django's per-constraint database query for check constraints
    (one query each, per row, which dominated bulk loads); unique constraints are still validated,
    and the database enforces every constraint on save. Tests pin each rule on both paths.
    """

    class Meta:
        abstract = True

    def get_constraints(self):
        # Read only by Model.validate_constraints(), which full_clean() calls.
        return [
            (model, [constraint for constraint in constraints if not isinstance(constraint, models.CheckConstraint)])
            for model, constraints in super().get_constraints()
        ]


class OffenceCategory(models.TextChoices):
    RAPE = "rape", "Rape"
    OTHER_SEXUAL = "other_sexual", "Other sexual offences"
    ROBBERY = "robbery", "Robbery"
    VIOLENCE = "violence", "Violence against the person"
    OTHER = "other", "Other"

    @classmethod
    def audited(cls) -> list["OffenceCategory"]:
        """The four categories HMICFRS dip-samples."""
        return [cls.RAPE, cls.OTHER_SEXUAL, cls.ROBBERY, cls.VIOLENCE]


class Outcome(models.TextChoices):
    TRANSFERRED = "transferred", "Transferred"
    CANCELLED = "cancelled", "Cancelled"


class Criterion(models.TextChoices):
    C1 = "C1", "C1: committed outside the force's jurisdiction and transferred to the force where it happened"
    C2 = "C2", "C2: additional verifiable information shows that no notifiable crime occurred"
    C3 = "C3", "C3: a duplicate, or part of a crime already recorded"
    C4 = "C4", "C4: recorded in error"
    C5 = "C5", "C5: self-defence claimed, and the additional information supports it"

    @property
    def outcome(self) -> Outcome:
        """The outcome the Home Office Counting Rules tie to this criterion."""
        return Outcome.TRANSFERRED if self == Criterion.C1 else Outcome.CANCELLED


class AuthoriserRole(models.TextChoices):
    DDM = "ddm", "Designated decision maker"
    FCR = "fcr", "Force crime registrar"
    OTHER = "other", "Other"


REFERENCE_REQUIRED = "Enter the force's crime reference."


class CrimeRecordQuerySet(models.QuerySet):
    def for_force(self, force) -> "CrimeRecordQuerySet":
        return self.filter(force=force)

    def in_category(self, *categories: str) -> "CrimeRecordQuerySet":
        return self.filter(offence_category__in=categories)


class CrimeRecord(CheckedModel):
    """A crime as a force recorded it. Holds no victim's name, address or date of birth."""

    # The (force, reference) index serves look-ups by force. There is no (force, offence_category) index: what is
    # counted or sampled by force and category is found through the decisions' (force, decided_on) index, and
    # each crime record written would keep one up to date for nothing.
    force = models.ForeignKey("forces.Force", on_delete=models.PROTECT, related_name="crime_records", db_index=False)
    reference = models.CharField(
        max_length=50, help_text="The force's own crime reference.", error_messages={"blank": REFERENCE_REQUIRED}
    )
    offence_category = models.CharField(max_length=20, choices=OffenceCategory.choices)
    offence_code = models.CharField(max_length=10, blank=True, help_text='Home Office offence code, such as "8N".')
    recorded_on = models.DateField()

    objects = CrimeRecordQuerySet.as_manager()

    class Meta:
        ordering = ["force", "reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["force", "reference"],
                name="crime_record_reference_unique_per_force",
                violation_error_message="This force already has a crime with this reference.",
            ),
            models.CheckConstraint(
                condition=Q(offence_category__in=OffenceCategory.values),
                name="crime_record_offence_category_valid",
            ),
            models.CheckConstraint(condition=~Q(reference=""), name="crime_record_reference_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.force.code})"

    def clean(self):
        super().clean()
        entered = self.reference
        self.reference = self.reference.strip()
        self.offence_code = self.offence_code.strip().upper()
        errors: dict[str, str] = {}
        if entered and not self.reference:
            errors["reference"] = REFERENCE_REQUIRED
        decision = getattr(self, "decision", None) if self.pk else None
        if decision is not None and self.recorded_on and decision.decided_on < self.recorded_on:
            removed = f"{decision.decided_on:%d/%m/%Y}"
            errors["recorded_on"] = f"The crime cannot be recorded after it was removed ({removed})."
        if decision is not None and decision.receiving_force_id and decision.receiving_force_id == self.force_id:
            errors["force"] = "The crime was transferred to this force: it cannot also be this force's record."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        if not adding:
            # The decision keeps copies of these two fields so the database can check its own rules.
            CancellationDecision.objects.filter(crime_record=self).exclude(
                force_id=self.force_id, recorded_on=self.recorded_on
            ).update(force_id=self.force_id, recorded_on=self.recorded_on)


class CancellationDecisionQuerySet(models.QuerySet):
    def for_force(self, force) -> "CancellationDecisionQuerySet":
        return self.filter(force=force)

    def in_category(self, *categories: str) -> "CancellationDecisionQuerySet":
        return self.filter(crime_record__offence_category__in=categories)

    def decided_between(self, start, end) -> "CancellationDecisionQuerySet":
        return self.filter(decided_on__gte=start, decided_on__lte=end)


class CancellationDecision(CheckedModel):
    """A force's decision to remove a recorded crime: a transfer (C1) or a cancellation (C2-C5)."""

    # Copies of the crime record's force and date, kept in step by CrimeRecord.save(), so that the
    # "never the recording force" and "decided on or after recorded" rules are database constraints.
    # On PostgreSQL one composite foreign key, (crime_record, force, recorded_on) to the crime record's
    # (id, force, recorded_on), stands for the two single ones: each decision is checked once, and its copies
    # can never differ from the crime record's (see migration 0004_decision_matches_crime_record).
    crime_record = models.OneToOneField(
        CrimeRecord, on_delete=models.CASCADE, related_name="decision", db_constraint=False
    )
    force = models.ForeignKey(
        "forces.Force",
        on_delete=models.PROTECT,
        related_name="decisions",
        editable=False,
        db_constraint=False,
        db_index=False,  # the (force, decided_on) index serves look-ups by force
    )
    recorded_on = models.DateField(editable=False)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    criterion = models.CharField(max_length=2, choices=Criterion.choices)
    decided_on = models.DateField()
    authoriser_role = models.CharField(max_length=10, choices=AuthoriserRole.choices)
    receiving_force = models.ForeignKey(
        "forces.Force",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="received_transfers",
        help_text="Transfers (C1) only: the force where the crime happened.",
        db_index=False,  # the partial index `decision_receiving_force` serves look-ups by receiving force
    )
    rationale = models.TextField(blank=True)

    objects = CancellationDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=Outcome.values), name="decision_outcome_valid"),
            models.CheckConstraint(condition=Q(criterion__in=Criterion.values), name="decision_criterion_valid"),
            models.CheckConstraint(
                condition=Q(authoriser_role__in=AuthoriserRole.values), name="decision_authoriser_role_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(criterion=Criterion.C1, outcome=Outcome.TRANSFERRED)
                    | (~Q(criterion=Criterion.C1) & Q(outcome=Outcome.CANCELLED))
                ),
                name="decision_c1_iff_transferred",
            ),
            models.CheckConstraint(
                condition=(
                    Q(outcome=Outcome.TRANSFERRED, receiving_force__isnull=False)
                    | Q(outcome=Outcome.CANCELLED, receiving_force__isnull=True)
                ),
                name="decision_receiving_force_iff_transferred",
            ),
            models.CheckConstraint(
                condition=Q(receiving_force__isnull=True) | ~Q(receiving_force=F("force")),
                name="decision_receiving_force_not_recording_force",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__gte=F("recorded_on")), name="decision_decided_on_or_after_recorded"
            ),
        ]
        indexes = [
            models.Index(fields=["force", "decided_on"], name="decision_force_decided_on"),
            # Only transfers have a receiving force: most decisions are cancellations, which the index leaves out,
            # so that adding one costs no index entry while finding a force's transfers (or whether deleting a
            # force must be refused) is as fast as with a full index.
            models.Index(
                fields=["receiving_force"],
                name="decision_receiving_force",
                condition=Q(receiving_force__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.crime_record.reference}: {self.criterion} {self.get_outcome_display().lower()}"

    def clean(self):
        super().clean()
        record = self.crime_record if self.crime_record_id else None
        if record is not None:
            self._copy_from_crime_record()
        errors: dict[str, str] = {}
        valid_pair = self.criterion in Criterion.values and self.outcome in Outcome.values
        if valid_pair and self.outcome != Criterion(self.criterion).outcome:
            errors["criterion"] = (
                'Outcome "transferred" needs criterion C1.'
                if self.outcome == Outcome.TRANSFERRED
                else 'Criterion C1 is a transfer: outcome "cancelled" needs criterion C2, C3, C4 or C5.'
            )
        if self.outcome == Outcome.TRANSFERRED and self.receiving_force_id is None:
            errors["receiving_force"] = "A transfer needs the force that received it."
        elif self.outcome == Outcome.CANCELLED and self.receiving_force_id is not None:
            errors["receiving_force"] = "Only a transfer has a receiving force; leave it blank for a cancellation."
        elif record is not None and self.receiving_force_id == record.force_id:
            errors["receiving_force"] = "A force cannot transfer a crime to itself."
        if record is not None and self.decided_on and self.decided_on < record.recorded_on:
            errors["decided_on"] = (
                f"The decision cannot come before the crime was recorded ({record.recorded_on:%d/%m/%Y})."
            )
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self._copy_from_crime_record()
        super().save(*args, **kwargs)

    def _copy_from_crime_record(self) -> None:
        self.force_id = self.crime_record.force_id
        self.recorded_on = self.crime_record.recorded_on

    @property
    def criterion_wording(self) -> str:
        return Criterion(self.criterion).label


class AuditStatus(models.TextChoices):
    PLANNING = "planning", "Planning"
    IN_PROGRESS = "in_progress", "In progress"
    SIGNED_OFF = "signed_off", "Signed off"


class RecordingGrade(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    ADEQUATE = "adequate", "Adequate"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"


class AuditQuerySet(models.QuerySet):
    def for_force(self, force) -> "AuditQuerySet":
        return self.filter(force=force)

    def signed_off(self) -> "AuditQuerySet":
        return self.filter(status=AuditStatus.SIGNED_OFF)

    def published(self) -> "AuditQuerySet":
        """Signed-off audits whose current sign-off is published: what their reviews count is what was published
        (a correction signed off but not yet published is not)."""
        return self.signed_off().filter(
            published_versions__superseded_at__isnull=True, published_versions__signed_off_at=F("signed_off_at")
        )

    def visible_to(self, user) -> "AuditQuerySet":
        """Audits `user` may see: all for auditors, supervisors and data stewards; a force contact's own force's
        published audits, as they were published; nothing for anyone else."""
        if permissions.is_audit_staff(user):
            return self.all()
        if permissions.is_force_contact(user):
            return self.published().filter(force_id=user.force_id)
        return self.none()


class Audit(CheckedModel):
    """A dip-sample audit of one force's cancellation decisions over a period."""

    force = models.ForeignKey("forces.Force", on_delete=models.PROTECT, related_name="audits")
    name = models.CharField(max_length=200)
    period_start = models.DateField(help_text="First decision date in the audit.")
    period_end = models.DateField(help_text="Last decision date in the audit.")
    status = models.CharField(max_length=12, choices=AuditStatus.choices, default=AuditStatus.PLANNING)
    seed = models.BigIntegerField(null=True, blank=True, help_text="Seed of the random sample, kept to re-draw it.")
    recording_grade = models.CharField(
        max_length=20,
        choices=RecordingGrade.choices,
        blank=True,
        help_text="The inspection's crime-recording grade, where one was given.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    second_review_share = models.PositiveSmallIntegerField(
        "Second review share",
        default=0,
        validators=[
            MinValueValidator(0, "The second review share must be a whole number from 0 to 100."),
            MaxValueValidator(100, "The second review share must be a whole number from 0 to 100."),
        ],
        help_text="Per cent of each category's sampled decisions that a second auditor reviews blind.",
    )

    objects = AuditQuerySet.as_manager()
    history = _history(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-period_end", "force__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["force", "name"],
                name="audit_name_unique_per_force",
                violation_error_message="This force already has an audit with this name.",
            ),
            models.CheckConstraint(condition=Q(status__in=AuditStatus.values), name="audit_status_valid"),
            models.CheckConstraint(
                condition=Q(recording_grade="") | Q(recording_grade__in=RecordingGrade.values),
                name="audit_recording_grade_valid",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="audit_period_end_on_or_after_start"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=AuditStatus.SIGNED_OFF, signed_off_at__isnull=False, signed_off_by__isnull=False)
                    | (~Q(status=AuditStatus.SIGNED_OFF) & Q(signed_off_at__isnull=True))
                ),
                name="audit_signed_off_iff_sign_off_recorded",
            ),
            models.CheckConstraint(
                condition=Q(second_review_share__gte=0, second_review_share__lte=100),
                name="audit_second_review_share_0_to_100",
            ),
        ]
        indexes = [models.Index(fields=["force", "status", "period_end"], name="audit_force_status_period")]

    def __str__(self) -> str:
        return f"{self.name} ({self.force})"

    def clean(self):
        super().clean()
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "The period must end on or after the day it starts."})
        if self.status == AuditStatus.SIGNED_OFF and not (self.signed_off_at and self.signed_off_by_id):
            raise ValidationError({"status": "An audit is signed off only with who signed it off and when."})
        if self.status != AuditStatus.SIGNED_OFF and self.signed_off_at:
            raise ValidationError({"status": "Only a signed-off audit has a sign-off date."})

    def get_absolute_url(self) -> str:
        return reverse("audit_detail", args=[self.pk])

    @property
    def is_locked(self) -> bool:
        return self.status == AuditStatus.SIGNED_OFF


class AuditCategory(CheckedModel):
    """An offence category an audit samples, with how many decisions to draw from it."""

    DEFAULT_SAMPLE_SIZE = 20

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="categories")
    offence_category = models.CharField(max_length=20, choices=OffenceCategory.choices)
    sample_size = models.PositiveIntegerField(
        default=DEFAULT_SAMPLE_SIZE, validators=[MinValueValidator(1, "Sample at least one decision.")]
    )
    population_size = models.PositiveIntegerField(
        null=True, blank=True, editable=False, help_text="Decisions in the category and period when it was drawn."
    )
    population_checksum = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="SHA-256 of the population's crime references, in the order the sample was drawn from.",
    )
    drawn_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = _history()

    class Meta:
        ordering = ["audit", "offence_category"]
        verbose_name_plural = "audit categories"
        constraints = [
            models.UniqueConstraint(fields=["audit", "offence_category"], name="audit_category_unique"),
            models.CheckConstraint(
                condition=Q(offence_category__in=OffenceCategory.values), name="audit_category_valid"
            ),
            models.CheckConstraint(condition=Q(sample_size__gte=1), name="audit_category_sample_size_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_offence_category_display()}: {self.sample_size}"

    @property
    def taken_whole(self) -> bool:
        """True when the category had no more decisions than the sample asked for, so all were drawn."""
        return self.population_size is not None and self.population_size <= self.sample_size

    @property
    def drawn_size(self) -> int:
        return min(self.sample_size, self.population_size or 0)


class Verdict(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    CANNOT_TELL = "cannot_tell", "Cannot tell from the record"


class IncorrectReason(models.TextChoices):
    AVI_NOT_VERIFIABLE = "avi_not_verifiable", "The additional information was not verifiable"
    WRONG_CRITERION = "wrong_criterion", "The wrong criterion was applied"
    NOT_AUTHORISED = "not_authorised", "Not authorised by a designated decision maker"
    SHOULD_STAY_RECORDED = "should_stay_recorded", "The crime should have stayed recorded"
    DIFFERENT_CRIME = "different_crime", "A different crime should have been recorded"
    OTHER = "other", "Another reason (see notes)"


class NoNeedToInformReason(models.TextChoices):
    NO_IDENTIFIABLE_VICTIM = "no_identifiable_victim", "No identifiable victim"
    ALREADY_TOLD = "already_told", "A duplicate, and the victim was already told"
    SAFEGUARDING = "safeguarding", "A safeguarding reason"
    OTHER = "other", "Another reason (see notes)"


class VictimInformed(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    NO_RECORD = "no_record", "No auditable record"


class ReviewKind(models.TextChoices):
    PRIMARY = "primary", "Primary review"
    SECOND = "second", "Second review"
    # A supervisor's verdict settling a disagreement between a primary and a second review.
    FINAL = "final", "Final verdict"

    @classmethod
    def blind_pair(cls) -> list["ReviewKind"]:
        """The two kinds two different auditors give independently on the same decision."""
        return [cls.PRIMARY, cls.SECOND]


class ReviewStatus(models.TextChoices):
    TO_DO = "to_do", "To do"
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"

    @classmethod
    def finished(cls) -> list["ReviewStatus"]:
        return [cls.SUBMITTED, cls.APPROVED]


class ReviewQuerySet(models.QuerySet):
    def for_audit(self, audit) -> "ReviewQuerySet":
        return self.filter(audit=audit)

    def for_auditor(self, user) -> "ReviewQuerySet":
        return self.filter(auditor=user)

    def finished(self) -> "ReviewQuerySet":
        return self.filter(status__in=ReviewStatus.finished())

    def visible_to(self, user) -> "ReviewQuerySet":
        """Reviews in the audits `user` may see (see `AuditQuerySet.visible_to`)."""
        return self.filter(audit__in=Audit.objects.visible_to(user).values("pk"))

    def blind_for(self, user) -> "ReviewQuerySet":
        """These reviews less those whose answers `user` may not read yet. Until an audit is signed off, someone
        who does not see others' work (`permissions.sees_others_work`: an auditor) reads only their own reviews:
        any decision of an open audit may yet be given to them as a blind second review (second reviews are added
        whenever the share is raised, and assigned later), so no other auditor's verdict, notes or draft is
        theirs to read, nor a final verdict settling a pair. Once the audit is signed off everything in it may
        be read. Supervisors and data stewards see everything."""
        if permissions.sees_others_work(user):
            return self
        if user.pk is None:
            return self.none()
        return self.filter(Q(auditor_id=user.pk) | Q(audit__status=AuditStatus.SIGNED_OFF))

    def counted_verdicts(self) -> "ReviewQuerySet":
        """One verdict per decision per audit, the one results count: the supervisor's final verdict where a
        disagreement between the primary and second reviews was resolved, otherwise the primary review.
        Known-answer items are left out: they were added to test the auditors, not drawn at random."""
        known_answer = KnownAnswerItem.objects.filter(
            audit_id=OuterRef("audit_id"), decision_id=OuterRef("decision_id")
        )
        resolved = Disagreement.objects.filter(primary_review_id=OuterRef("pk"), final_review__isnull=False)
        # Two NOT EXISTS rather than an OR across a join: the database reads them as anti-joins, which keeps the
        # national figures one quick pass over the reviews.
        return (
            self.filter(kind__in=[ReviewKind.PRIMARY, ReviewKind.FINAL])
            .exclude(Exists(resolved))
            .exclude(Exists(known_answer))
        )


# Statuses in which a review may be incomplete; answers must be whole from "submitted" on.
_UNFINISHED = Q(status__in=[ReviewStatus.TO_DO, ReviewStatus.DRAFT])


class Review(CheckedModel):
    """One auditor's verdict on one sampled decision in one audit."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="reviews")
    decision = models.ForeignKey(CancellationDecision, on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(max_length=10, choices=ReviewKind.choices, default=ReviewKind.PRIMARY)
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.TO_DO)
    decision_correct = models.CharField("Was the decision correct?", max_length=12, choices=Verdict.choices, blank=True)
    incorrect_reason = models.CharField(
        "Why was it incorrect?", max_length=30, choices=IncorrectReason.choices, blank=True
    )
    victim_should_be_informed = models.BooleanField("Should the victim have been informed?", null=True, blank=True)
    no_need_to_inform_reason = models.CharField(
        "Why did the victim not need to be informed?",
        max_length=30,
        choices=NoNeedToInformReason.choices,
        blank=True,
    )
    victim_informed = models.CharField(
        "Was the victim informed?", max_length=10, choices=VictimInformed.choices, blank=True
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    sample_position = models.PositiveIntegerField(
        null=True, blank=True, editable=False, help_text="Place in the category's seeded draw: 0 was drawn first."
    )
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Goes up by one on every save; a save based on an older copy is refused."
    )
    return_comment = models.TextField(
        blank=True, help_text="Why the supervisor returned the review to its auditor, until it is resubmitted."
    )
    primary_review = models.OneToOneField(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="second_review",
        help_text="Second reviews only: the primary review of the same decision, reviewed blind by someone else.",
    )
    # Agreement between auditors is measured on the answers as first submitted: a return and a resubmission
    # after the pair was compared must not turn a disagreement into agreement in the figures.
    first_submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_decision_correct = models.CharField(
        "Decision correct when first submitted", max_length=12, choices=Verdict.choices, blank=True, editable=False
    )
    first_victim_informed = models.CharField(
        "Victim informed when first submitted",
        max_length=10,
        choices=VictimInformed.choices,
        blank=True,
        editable=False,
    )

    # The answers an auditor gives on the review page; everything else on a review is the workflow's.
    ANSWER_FIELDS = (
        "decision_correct",
        "incorrect_reason",
        "victim_should_be_informed",
        "no_need_to_inform_reason",
        "victim_informed",
        "notes",
    )

    # The answers kept as first submitted (`first_submitted_answer`), each with the field that keeps it.
    FIRST_SUBMITTED_FIELDS = {"decision_correct": "first_decision_correct", "victim_informed": "first_victim_informed"}

    objects = ReviewQuerySet.as_manager()
    # The first submission and its answers are copies of what the history already holds.
    history = _history(
        excluded_fields=["created_at", "updated_at", "first_submitted_at", *FIRST_SUBMITTED_FIELDS.values()]
    )

    class Meta:
        ordering = ["audit", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "decision"],
                condition=Q(kind=ReviewKind.PRIMARY),
                name="review_one_primary_per_decision_per_audit",
                violation_error_message="This decision is already in the audit's sample.",
            ),
            models.UniqueConstraint(
                fields=["audit", "decision"],
                condition=Q(kind=ReviewKind.FINAL),
                name="review_one_final_verdict_per_decision_per_audit",
                violation_error_message="This decision already has a final verdict in the audit.",
            ),
            models.CheckConstraint(condition=Q(kind__in=ReviewKind.values), name="review_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind=ReviewKind.SECOND, primary_review__isnull=False)
                | (~Q(kind=ReviewKind.SECOND) & Q(primary_review__isnull=True)),
                name="review_second_iff_primary_review",
            ),
            models.CheckConstraint(condition=Q(status__in=ReviewStatus.values), name="review_status_valid"),
            models.CheckConstraint(
                condition=Q(decision_correct="") | Q(decision_correct__in=Verdict.values),
                name="review_decision_correct_valid",
            ),
            models.CheckConstraint(
                condition=Q(incorrect_reason="") | Q(incorrect_reason__in=IncorrectReason.values),
                name="review_incorrect_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(no_need_to_inform_reason="") | Q(no_need_to_inform_reason__in=NoNeedToInformReason.values),
                name="review_no_need_to_inform_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(victim_informed="") | Q(victim_informed__in=VictimInformed.values),
                name="review_victim_informed_valid",
            ),
            models.CheckConstraint(
                condition=Q(incorrect_reason="") | Q(decision_correct=Verdict.NO),
                name="review_reason_only_when_incorrect",
            ),
            models.CheckConstraint(
                condition=_UNFINISHED | ~Q(decision_correct=Verdict.NO) | ~Q(incorrect_reason=""),
                name="review_reason_required_when_incorrect",
            ),
            models.CheckConstraint(
                # "IS NOT NULL" too: a bare "= true" is unknown when unanswered, and unknown passes a check.
                condition=Q(victim_informed="")
                | Q(victim_should_be_informed=True, victim_should_be_informed__isnull=False),
                name="review_victim_informed_only_when_should_be",
            ),
            models.CheckConstraint(
                condition=_UNFINISHED | ~Q(victim_should_be_informed=True) | ~Q(victim_informed=""),
                name="review_victim_informed_required_when_should_be",
            ),
            models.CheckConstraint(
                condition=Q(no_need_to_inform_reason="")
                | Q(victim_should_be_informed=False, victim_should_be_informed__isnull=False),
                name="review_no_need_reason_only_when_not_needed",
            ),
            models.CheckConstraint(
                condition=_UNFINISHED | ~Q(victim_should_be_informed=False) | ~Q(no_need_to_inform_reason=""),
                name="review_no_need_reason_required_when_not_needed",
            ),
            models.CheckConstraint(
                condition=_UNFINISHED
                | (~Q(decision_correct="") & Q(victim_should_be_informed__isnull=False) & Q(auditor__isnull=False)),
                name="review_finished_is_complete",
            ),
            models.CheckConstraint(
                condition=Q(first_decision_correct="") | Q(first_decision_correct__in=Verdict.values),
                name="review_first_decision_correct_valid",
            ),
            models.CheckConstraint(
                condition=Q(first_victim_informed="") | Q(first_victim_informed__in=VictimInformed.values),
                name="review_first_victim_informed_valid",
            ),
            models.CheckConstraint(
                condition=Q(first_submitted_at__isnull=False) | Q(first_decision_correct="", first_victim_informed=""),
                name="review_first_answers_only_once_submitted",
            ),
        ]
        indexes = [
            models.Index(fields=["audit", "status"], name="review_audit_status"),
            models.Index(fields=["auditor", "status"], name="review_auditor_status"),
            models.Index(fields=["audit", "kind", "decision"], name="review_audit_kind_decision"),
        ]

    def __str__(self) -> str:
        return f"Review of {self.decision.crime_record.reference} in {self.audit.name}"

    def clean(self):
        super().clean()
        errors: dict[str, str] = {}
        finished = self.status in ReviewStatus.finished()
        if self.decision_correct != Verdict.NO and self.incorrect_reason:
            errors["incorrect_reason"] = "Give a reason only when the decision was incorrect."
        if finished and self.decision_correct == Verdict.NO and not self.incorrect_reason:
            errors["incorrect_reason"] = "Select why the decision was incorrect."
        if finished and self.decision_correct == Verdict.NO and not self.notes.strip():
            errors["notes"] = "Explain in the notes why the decision was incorrect."
        if self.victim_should_be_informed is not True and self.victim_informed:
            errors["victim_informed"] = "Say whether the victim was informed only when they should have been."
        if finished and self.victim_should_be_informed is True and not self.victim_informed:
            errors["victim_informed"] = "Select whether the victim was informed."
        if self.victim_should_be_informed is not False and self.no_need_to_inform_reason:
            errors["no_need_to_inform_reason"] = "Give a reason only when the victim did not need to be informed."
        if finished and self.victim_should_be_informed is False and not self.no_need_to_inform_reason:
            errors["no_need_to_inform_reason"] = "Select why the victim did not need to be informed."
        if finished and not self.decision_correct:
            errors["decision_correct"] = "Select whether the decision was correct."
        if finished and self.victim_should_be_informed is None:
            errors["victim_should_be_informed"] = "Select whether the victim should have been informed."
        if finished and self.auditor_id is None:
            errors["auditor"] = "A submitted review needs the auditor who made it."
        if self.first_submitted_at is None and (self.first_decision_correct or self.first_victim_informed):
            errors["first_submitted_at"] = "Only a review submitted at least once has first submitted answers."
        for name, first in self.FIRST_SUBMITTED_FIELDS.items():
            # Django leaves fields no form edits unchecked: the same words as for the answer itself.
            value = getattr(self, first)
            if value and value not in dict(self._meta.get_field(name).flatchoices):
                errors[first] = f"Value {value!r} is not a valid choice."
        if self.kind == ReviewKind.SECOND and self.primary_review_id is None:
            errors["kind"] = "A second review needs the primary review it checks."
        elif self.kind != ReviewKind.SECOND and self.primary_review_id is not None:
            errors["kind"] = "Only a second review checks a primary review."
        if self.auditor_id and self.kind in ReviewKind.blind_pair() and self._counterpart_has_same_auditor():
            errors["auditor"] = (
                "A second review must be done by a different auditor from the primary review of the same decision."
            )
        self._refuse_if_locked()
        if self.audit_id and self.decision_id:
            audit, decision = self.audit, self.decision
            if decision.force_id != audit.force_id:
                errors["decision"] = "The decision belongs to another force than the audit."
            elif not audit.period_start <= decision.decided_on <= audit.period_end:
                errors["decision"] = "The decision was made outside the audit's period."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self._refuse_if_locked()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_locked()
        return super().delete(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("review_detail", args=[self.pk])

    def _refuse_if_locked(self) -> None:
        # Read from the database, not from a possibly stale `self.audit`: a sign-off may have happened since.
        if Audit.objects.filter(pk=self.audit_id, status=AuditStatus.SIGNED_OFF).exists():
            raise AuditLockedError()

    def _counterpart_has_same_auditor(self) -> bool:
        """True when the other review of a blind pair (primary or second) is assigned to this review's auditor."""
        if self.kind == ReviewKind.SECOND:
            counterpart = Review.objects.filter(pk=self.primary_review_id)
        else:
            counterpart = Review.objects.filter(primary_review_id=self.pk) if self.pk else Review.objects.none()
        return counterpart.filter(auditor_id=self.auditor_id).exists()

    def answers(self) -> dict:
        return {name: getattr(self, name) for name in self.ANSWER_FIELDS}

    def set_answers(self, answers: Mapping) -> None:
        """Take the answers given in `answers` (a mapping of `ANSWER_FIELDS`); the others stay as they are."""
        for name in self.ANSWER_FIELDS:
            if name in answers:
                setattr(self, name, answers[name])

    def has_answers(self, answers: Mapping) -> bool:
        """Whether saving `answers` would change none of this review's answers."""
        return all(getattr(self, name) == answers.get(name, getattr(self, name)) for name in self.ANSWER_FIELDS)

    @property
    def is_finished(self) -> bool:
        return self.status in ReviewStatus.finished()

    def keep_first_submission(self, when) -> None:
        """On the review's first submission, keep its `FIRST_SUBMITTED_FIELDS` answers as they are now; later
        submissions (after a return) leave them alone."""
        if self.first_submitted_at is None:
            self.first_submitted_at = when
            for name, first in self.FIRST_SUBMITTED_FIELDS.items():
                setattr(self, first, getattr(self, name))

    @classmethod
    def first_submitted_answer(cls, name: str, *, through: str = ""):
        """The answer `name` as first submitted, as a query expression, of the review itself or of the one reached
        by `through` (such as "primary_review__"). A review submitted by a path that kept no first answers (a
        file import) reads its answer as it stands."""
        return Case(
            When(**{f"{through}first_submitted_at__isnull": True}, then=F(f"{through}{name}")),
            default=F(f"{through}{cls.FIRST_SUBMITTED_FIELDS[name]}"),
        )


# Which disagreements are open (waiting for a final verdict) and closed (the reviews came to agree), as conditions
# a filter or a count can use.
DISAGREEMENT_OPEN = Q(resolved_at__isnull=True, closed_at__isnull=True)
DISAGREEMENT_CLOSED = Q(closed_at__isnull=False)


class DisagreementQuerySet(models.QuerySet):
    def for_audit(self, audit) -> "DisagreementQuerySet":
        return self.filter(audit=audit)

    def unresolved(self) -> "DisagreementQuerySet":
        """Open disagreements: waiting for a final verdict (neither settled nor closed)."""
        return self.filter(DISAGREEMENT_OPEN)

    def resolved(self) -> "DisagreementQuerySet":
        """Settled by a supervisor's final verdict."""
        return self.filter(resolved_at__isnull=False)

    def closed(self) -> "DisagreementQuerySet":
        """Closed without a final verdict, because the two reviews came to agree (see `Disagreement.closed_reason`)."""
        return self.filter(DISAGREEMENT_CLOSED)

    def visible_to(self, user) -> "DisagreementQuerySet":
        """Disagreements a supervisor may see and resolve: every one in the audits they see; none for anyone
        else, since a disagreement shows both auditors' verdicts side by side."""
        if not permissions.sees_disagreements(user):
            return self.none()
        return self.filter(audit__in=Audit.objects.visible_to(user).values("pk"))


class DisagreementState(models.TextChoices):
    OPEN = "open", "Waiting for a final verdict"
    SETTLED = "settled", "Settled"
    CLOSED = "closed", "Closed"


# Why a disagreement is closed when a returned review is resubmitted and the two reviews agree.
CLOSED_IN_AGREEMENT = "Closed: resubmitted in agreement"


class Disagreement(CheckedModel):
    """A decision on which its primary and blind second review gave different verdicts (decision correct, or
    victim informed). A supervisor settles it with a final verdict (a review of kind "final") and a reason;
    the two reviews themselves are never changed by it. Once found it stays on record: when a returned review
    is resubmitted in agreement it is closed (with the reason, also in its history), not deleted, and it opens
    again if the two reviews come to differ once more."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="disagreements")
    decision = models.ForeignKey(CancellationDecision, on_delete=models.PROTECT, related_name="+")
    primary_review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="disagreement")
    second_review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="+")
    decision_correct_differs = models.BooleanField("Decision correct differs", default=False)
    victim_informed_differs = models.BooleanField("Victim informed differs", default=False)
    detected_at = models.DateTimeField(auto_now_add=True)
    final_review = models.OneToOneField(
        Review, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="settles"
    )
    reason = models.TextField("Reason for the final verdict", blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_reason = models.TextField(
        "Why it was closed", blank=True, editable=False, help_text="Only when closed without a final verdict."
    )

    objects = DisagreementQuerySet.as_manager()
    history = _history()

    class Meta:
        ordering = ["audit", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision_correct_differs=True) | Q(victim_informed_differs=True),
                name="disagreement_differs_on_something",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, final_review__isnull=True, resolved_by__isnull=True)
                | (Q(resolved_at__isnull=False, final_review__isnull=False, resolved_by__isnull=False) & ~Q(reason="")),
                name="disagreement_resolved_iff_final_verdict_and_reason",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, closed_reason="")
                | (Q(closed_at__isnull=False, resolved_at__isnull=True) & ~Q(closed_reason="")),
                name="disagreement_closed_with_reason_and_unsettled",
            ),
        ]
        indexes = [models.Index(fields=["audit", "resolved_at"], name="disagreement_audit_resolved")]

    def __str__(self) -> str:
        return f"Disagreement on {self.decision.crime_record.reference} in {self.audit.name}"

    def clean(self):
        super().clean()
        errors: dict[str, str] = {}
        if not (self.decision_correct_differs or self.victim_informed_differs):
            errors["decision_correct_differs"] = "A disagreement differs on whether the decision or victim was right."
        resolved = [self.resolved_at is not None, self.final_review_id is not None, self.resolved_by_id is not None]
        if any(resolved) and not all(resolved):
            errors["resolved_at"] = "A resolved disagreement has its final verdict, who resolved it and when."
        elif all(resolved) and not self.reason.strip():
            errors["reason"] = "Explain why this is the final verdict."
        if (self.closed_at is None) != (not self.closed_reason.strip()):
            errors["closed_at"] = "A closed disagreement has the date it was closed and why."
        elif self.closed_at is not None and self.resolved_at is not None:
            errors["closed_at"] = "A disagreement settled with a final verdict cannot also be closed."
        if errors:
            raise ValidationError(errors)

    def get_absolute_url(self) -> str:
        return reverse("disagreement_resolve", args=[self.pk])

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def state(self) -> DisagreementState:
        if self.is_resolved:
            return DisagreementState.SETTLED
        return DisagreementState.CLOSED if self.is_closed else DisagreementState.OPEN

    @property
    def differs_on(self) -> str:
        parts = []
        if self.decision_correct_differs:
            parts.append("decision correct")
        if self.victim_informed_differs:
            parts.append("victim informed")
        return " and ".join(parts).capitalize()


class KnownAnswerItem(CheckedModel):
    """A decision a supervisor added to an audit because its correct verdict is already settled, to measure
    how accurately each auditor answers. Its reviews look like any other to the auditors, and are left out
    of the audit's results."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="known_answers")
    decision = models.ForeignKey(CancellationDecision, on_delete=models.PROTECT, related_name="+")
    decision_correct = models.CharField(
        "Settled verdict: was the decision correct?", max_length=12, choices=Verdict.choices
    )
    source = models.TextField(help_text="Where the settled verdict comes from, for example an earlier inspection.")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    history = _history()

    class Meta:
        ordering = ["audit", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "decision"],
                name="known_answer_unique_per_audit",
                violation_error_message="This decision is already a known-answer item of the audit.",
            ),
            models.CheckConstraint(
                condition=Q(decision_correct__in=Verdict.values), name="known_answer_decision_correct_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Known answer for {self.decision.crime_record.reference} in {self.audit.name}"


class ActionKind(models.TextChoices):
    RECONSIDER = "reconsider", "Reconsider the decision"
    TELL_VICTIM = "tell_victim", "Tell the victim"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    OUTCOME_RECORDED = "outcome_recorded", "Outcome waiting for acceptance"
    RETURNED = "returned", "Returned to the force"
    PUT_RIGHT = "put_right", "Put right"
    WITHDRAWN = "withdrawn", "Withdrawn: verdict changed"

    @classmethod
    def with_the_force(cls) -> list["ActionStatus"]:
        """Waiting for the force to record what was done: the statuses that can fall overdue."""
        return [cls.OPEN, cls.RETURNED]


class ActionOutcome(models.TextChoices):
    CRIME_REINSTATED = "crime_reinstated", "Crime reinstated"
    UPHELD_ON_NEW_EVIDENCE = "upheld_on_new_evidence", "Decision upheld on new evidence"
    OTHER = "other", "Other"
    VICTIM_TOLD = "victim_told", "Victim told"
    COULD_NOT_CONTACT = "could_not_contact", "Could not be contacted"
    NOT_APPROPRIATE = "not_appropriate", "Not appropriate"

    @classmethod
    def for_kind(cls, kind: str) -> list["ActionOutcome"]:
        if kind == ActionKind.RECONSIDER:
            return [cls.CRIME_REINSTATED, cls.UPHELD_ON_NEW_EVIDENCE, cls.OTHER]
        return [cls.VICTIM_TOLD, cls.COULD_NOT_CONTACT, cls.NOT_APPROPRIATE]


# What the details of each outcome must say; "crime reinstated" and "victim told" need none beyond the date.
OUTCOME_DETAILS_REQUIRED = {
    ActionOutcome.UPHELD_ON_NEW_EVIDENCE: "Describe the new evidence the decision was upheld on.",
    ActionOutcome.OTHER: "Describe what was done.",
    ActionOutcome.COULD_NOT_CONTACT: "List the attempts made to contact the victim.",
    ActionOutcome.NOT_APPROPRIATE: "Explain why telling the victim is not appropriate.",
}
_WITH_OUTCOME = [ActionStatus.OUTCOME_RECORDED, ActionStatus.PUT_RIGHT]


class ActionQuerySet(models.QuerySet):
    def for_audit(self, audit) -> "ActionQuerySet":
        return self.filter(audit=audit)

    def overdue(self, today) -> "ActionQuerySet":
        return self.filter(status__in=ActionStatus.with_the_force(), due_on__lt=today)

    def current(self) -> "ActionQuerySet":
        """Every action but those withdrawn after a changed verdict."""
        return self.exclude(status=ActionStatus.WITHDRAWN)

    def visible_to(self, user) -> "ActionQuerySet":
        """Actions `user` may see: those of the audits audit staff see; a force contact's own force's; none else."""
        if permissions.is_audit_staff(user):
            return self.all()  # audit staff see every audit (`AuditQuerySet.visible_to`), so every audit's actions
        if permissions.is_force_contact(user):
            return self.filter(audit__force_id=user.force_id)
        return self.none()


class Action(CheckedModel):
    """What a force must do to put one finding of a signed-off audit right: reconsider a decision judged incorrect,
    or tell a victim who should have been told and was not. The force's contact records the outcome; a
    supervisor accepts it (then it is put right) or returns it. Actions are never deleted: a finding that no
    longer holds after a changed verdict withdraws its action, and the history keeps every step."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="actions")
    decision = models.ForeignKey(CancellationDecision, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(max_length=12, choices=ActionKind.choices)
    status = models.CharField(max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    due_on = models.DateField()
    outcome = models.CharField(max_length=30, choices=ActionOutcome.choices, blank=True)
    outcome_details = models.TextField(
        "Details", blank=True, help_text="The new evidence, the attempts to contact the victim, or the reason."
    )
    victim_told_on = models.DateField("Date the victim was told", null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    return_comment = models.TextField(blank=True, help_text="Why the supervisor returned the outcome to the force.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActionQuerySet.as_manager()
    history = _history()

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "decision", "kind"],
                name="action_one_per_finding",
                violation_error_message="This finding already has its action.",
            ),
            models.CheckConstraint(condition=Q(kind__in=ActionKind.values), name="action_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ActionStatus.values), name="action_status_valid"),
            models.CheckConstraint(
                condition=Q(outcome="")
                | Q(kind=ActionKind.RECONSIDER, outcome__in=ActionOutcome.for_kind(ActionKind.RECONSIDER))
                | Q(kind=ActionKind.TELL_VICTIM, outcome__in=ActionOutcome.for_kind(ActionKind.TELL_VICTIM)),
                name="action_outcome_fits_kind",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=_WITH_OUTCOME) | (~Q(outcome="") & Q(outcome_by__isnull=False)),
                name="action_outcome_recorded_with_who",
            ),
            models.CheckConstraint(
                condition=Q(victim_told_on__isnull=True, outcome__in=["", *OUTCOME_DETAILS_REQUIRED])
                | Q(outcome=ActionOutcome.CRIME_REINSTATED, victim_told_on__isnull=True)
                | Q(outcome=ActionOutcome.VICTIM_TOLD, victim_told_on__isnull=False),
                name="action_victim_told_on_iff_told",
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=list(OUTCOME_DETAILS_REQUIRED)) | ~Q(outcome_details=""),
                name="action_outcome_details_required",
            ),
            models.CheckConstraint(
                condition=Q(status=ActionStatus.PUT_RIGHT, accepted_by__isnull=False, accepted_at__isnull=False)
                | (~Q(status=ActionStatus.PUT_RIGHT) & Q(accepted_at__isnull=True)),
                name="action_put_right_iff_accepted",
            ),
        ]
        indexes = [
            models.Index(fields=["audit", "kind", "status"], name="action_audit_kind_status"),
            models.Index(fields=["status", "due_on"], name="action_status_due_on"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.decision.crime_record.reference}"

    def clean(self):
        super().clean()
        errors: dict[str, str] = {}
        if self.outcome and self.outcome not in ActionOutcome.for_kind(self.kind):
            errors["outcome"] = "Choose one of the outcomes for this kind of action."
        elif self.outcome in OUTCOME_DETAILS_REQUIRED and not self.outcome_details.strip():
            errors["outcome_details"] = OUTCOME_DETAILS_REQUIRED[ActionOutcome(self.outcome)]
        if self.outcome == ActionOutcome.VICTIM_TOLD and self.victim_told_on is None:
            errors["victim_told_on"] = "Enter the date the victim was told."
        elif self.outcome != ActionOutcome.VICTIM_TOLD and self.victim_told_on is not None:
            errors["victim_told_on"] = "Give a date only when the victim was told."
        if self.status in _WITH_OUTCOME and not (self.outcome and self.outcome_by_id):
            errors["outcome"] = "Record the outcome, and who recorded it."
        if (self.status == ActionStatus.PUT_RIGHT) != bool(self.accepted_by_id and self.accepted_at):
            errors["status"] = "An action is put right only when a supervisor accepts its outcome."
        if errors:
            raise ValidationError(errors)

    def get_absolute_url(self) -> str:
        return reverse("action_detail", args=[self.pk])

    def is_overdue(self, today) -> bool:
        return self.awaits_force and self.due_on < today

    @property
    def awaits_force(self) -> bool:
        return self.status in ActionStatus.with_the_force()

    @property
    def awaits_supervisor(self) -> bool:
        return self.status == ActionStatus.OUTCOME_RECORDED


class ReminderSent(models.Model):
    """One reminder email sent to one person on one day: the daily job sends nobody a second the same day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()
    overdue_actions = models.PositiveIntegerField(default=0)
    outcomes_waiting = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_on", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "sent_on"],
                name="reminder_one_per_person_per_day",
                violation_error_message="This person has already been sent a reminder that day.",
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder to {self.user} on {self.sent_on:%d/%m/%Y}"


class PublishedResultsQuerySet(models.QuerySet):
    def current(self) -> "PublishedResultsQuerySet":
        """The version of each audit's results that stands: the latest, not superseded."""
        return self.filter(superseded_at__isnull=True)

    def visible_to(self, user) -> "PublishedResultsQuerySet":
        """Published results `user` may read: every force's for audit staff, a force contact's own force's."""
        if permissions.is_audit_staff(user):
            return self.all()
        if permissions.is_force_contact(user):
            return self.filter(force_id=user.force_id)
        return self.none()


class WrittenOnce(models.Model):
    """A row kept as evidence: saved once, then never changed; `changed_message` says what to do instead."""

    changed_message = ""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(self.changed_message)
        super().save(*args, **kwargs)


class PublishedResults(WrittenOnce, CheckedModel):
    """One published version of a signed-off audit's results, frozen: the figures of the force page and of the
    audit's row in the national comparison (`figures`, counts from which every rate is worked out the same way
    each time), and the canonical CSV of them with its SHA-256. A version never changes once written; a
    correction is a new version with a note, and the one it replaces is marked superseded (the only change a
    stored version takes, by `reviews.results.publishing.audit_publish`)."""

    changed_message = "Published results never change: publish a corrected version instead."

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="published_versions")
    # Copies of the audit's force and period as published, so that the pages can choose versions without the
    # audit (whose period may be replanned after a reopening).
    force = models.ForeignKey("forces.Force", on_delete=models.PROTECT, related_name="published_results")
    period_start = models.DateField()
    period_end = models.DateField()
    version = models.PositiveIntegerField()
    figures = models.JSONField()
    csv = models.TextField("Canonical CSV")
    sha256 = models.CharField("SHA-256 of the CSV", max_length=64)
    correction_note = models.TextField(blank=True, help_text="What a corrected version changed, and why.")
    signed_off_at = models.DateTimeField(help_text="The sign-off whose results this version publishes.")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PublishedResultsQuerySet.as_manager()

    class Meta:
        verbose_name = "published results"
        verbose_name_plural = "published results"
        ordering = ["force", "-period_end", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "version"],
                name="published_results_version_unique_per_audit",
                violation_error_message="This version of the audit's results is already published.",
            ),
            models.UniqueConstraint(
                fields=["audit"],
                condition=Q(superseded_at__isnull=True),
                name="published_results_one_current_per_audit",
                violation_error_message="The audit already has a current published version.",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="published_results_version_from_1"),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(correction_note=""),
                name="published_results_correction_has_note",
            ),
        ]
        indexes = [
            models.Index(
                fields=["force", "period_end"],
                condition=Q(superseded_at__isnull=True),
                name="published_current_by_force",
            )
        ]

    def __str__(self) -> str:
        return f"{self.figures['audit']['name']} ({self.force}), version {self.version}"

    def clean(self):
        super().clean()
        if self.version is not None and self.version < 1:
            raise ValidationError({"version": "Versions are numbered from 1."})
        if self.version and self.version > 1 and not self.correction_note.strip():
            raise ValidationError({"correction_note": "Say what the correction changed."})

    def get_absolute_url(self) -> str:
        return reverse("published_results", args=[self.force.code, self.audit_id, self.version])

    @property
    def is_superseded(self) -> bool:
        return self.superseded_at is not None


class OpenDataReleaseQuerySet(models.QuerySet):
    def latest_first(self) -> "OpenDataReleaseQuerySet":
        return self.order_by("-number")


class OpenDataRelease(WrittenOnce):
    """One release of the open data package of the published results (`reviews.results.opendata`): built when a
    version is published (or by the `open_data_release` command), numbered, and never changed, so that a figure
    quoted from release 12 can be checked against release 12's files for as long as it is kept."""

    changed_message = "An open data release never changes: build a new release instead."

    number = models.PositiveIntegerField(unique=True)
    published = models.ForeignKey(
        PublishedResults,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="open_data_releases",
        help_text="The publication the release was built for; empty for one built by the command.",
    )
    created_at = models.DateTimeField()
    published_state = models.CharField(
        max_length=100, help_text="The published versions it holds (newest id, versions, standing ones)."
    )

    objects = OpenDataReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gte=1),
                name="open_data_release_number_from_1",
                violation_error_message="A release is numbered from 1.",
            )
        ]

    def __str__(self) -> str:
        return f"Open data release {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("open_data_release", args=[self.number])


class OpenDataFile(WrittenOnce):
    """One file of an open data release, kept byte for byte with its size and SHA-256."""

    changed_message = "An open data file never changes: build a new release instead."

    release = models.ForeignKey(OpenDataRelease, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=100)
    title = models.CharField(max_length=200)
    media_type = models.CharField(max_length=100)
    content = models.BinaryField()
    size = models.PositiveIntegerField(help_text="Bytes.")
    sha256 = models.CharField("SHA-256", max_length=64)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["release", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "name"],
                name="open_data_file_name_unique_per_release",
                violation_error_message="The release already has a file of this name.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (release {self.release.number})"

    def get_absolute_url(self) -> str:
        return reverse("open_data_file", args=[self.release.number, self.name])


class ImportKind(models.TextChoices):
    DECISIONS = "decisions", "Decisions"
    REVIEWS = "reviews", "Reviews"


class ImportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ImportVia(models.TextChoices):
    UPLOAD_PAGE = "upload page", "Upload page"
    DATA_ADMINISTRATION = "data administration", "Data administration"


# States an import job never leaves.
IMPORT_FINISHED_STATES = (ImportState.DONE, ImportState.FAILED, ImportState.CANCELLED)


class ImportJobQuerySet(models.QuerySet):
    def unfinished(self) -> "ImportJobQuerySet":
        return self.filter(state__in=[ImportState.QUEUED, ImportState.RUNNING])


def _new_token() -> str:
    return secrets.token_hex(16)


def _import_upload_path(job: "ImportJob", filename: str) -> str:
    # The stored name never carries the uploaded one (which is kept in `file_name`): no path tricks, no clashes.
    return f"imports/{job.created_at:%Y/%m/%d}/{job.token}.upload"


class ImportJob(models.Model):
    """One decisions or reviews file uploaded in the browser and the background job that checks it, or imports it.

    The stored file stays until it is tidied away after `IMPORT_KEEP_UPLOADS_DAYS`; a check that passes can be
    followed by an import of the same stored file (`checked_by`). While a job runs, its progress lives outside the
    database (the import holds its transaction open until the end); its outcome is written here when it ends.
    """

    token = models.CharField(max_length=32, unique=True, editable=False, default=_new_token)
    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    check_only = models.BooleanField(default=True, help_text="Check the whole file and report; save nothing.")
    reopen_approved = models.BooleanField(default=False)
    via = models.CharField(
        max_length=20,
        choices=ImportVia.choices,
        default=ImportVia.UPLOAD_PAGE,
        help_text="The page the file was uploaded through, for the access records.",
    )
    upload = models.FileField(upload_to=_import_upload_path, max_length=200, blank=True)
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64, blank=True)
    checked_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="imports",
        help_text="The check of the same stored file that this import follows.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=ImportState.choices, default=ImportState.QUEUED)
    phase = models.CharField(max_length=20, blank=True)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True, help_text='{"new": n, "updated": n, "unchanged": n}')
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text="The first row errors: row, column, value and message each."
    )
    errors_file = models.FileField(max_length=200, blank=True, help_text="Every row error, as CSV.")
    notices = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True, help_text="What the job came to, or why it failed.")
    upload_deleted_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="import_job_by_person_idx"),
            models.Index(fields=["state", "created_at"], name="import_job_state_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(checked_by__isnull=True) | Q(check_only=False),
                name="import_job_follows_a_check_only_to_import",
                violation_error_message="Only an import follows a check.",
            ),
        ]

    def __str__(self) -> str:
        action = "Check" if self.check_only else "Import"
        return f"{action} of {self.kind} from {self.file_name}"

    def get_absolute_url(self) -> str:
        return reverse("imports:detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.state in IMPORT_FINISHED_STATES
