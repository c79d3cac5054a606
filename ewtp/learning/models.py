"""Learning: programmes of training providers, cohorts, courses of modules, lessons and quizzes,
learners' progress, selective applications with reviews, and certificates anyone can verify."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ewtp.accounts.models import Organisation
from ewtp.learning import calc, content


def _validate_video_url(value: str) -> None:
    if value and content.video_embed(value) is None:
        raise ValidationError(_("Only YouTube and Vimeo video links can be embedded."))


class Programme(models.Model):
    """What a training provider runs: a lecturers' programme, a fellowship, a sellers' course."""

    class Mode(models.TextChoices):
        OPEN = "open", _("Open enrolment")
        INVITATION = "invitation", _("By invitation")
        APPLICATION = "application", _("By application")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=80, unique=True)
    provider = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="programmes",
        limit_choices_to={"kind": Organisation.Kind.TRAINING_PROVIDER},
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=400, blank=True)
    description = models.TextField(_("description (Markdown)"), blank=True)
    enrolment_mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.OPEN)
    is_published = models.BooleanField(default=True)
    issues_certificate = models.BooleanField(
        default=False, help_text=_("A programme certificate once every course is completed.")
    )
    # Eligibility of applicants (application programmes); empty lists mean "any".
    eligible_countries = models.JSONField(default=list, blank=True)
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    eligible_stages = models.JSONField(default=list, blank=True)
    reviews_per_application = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.provider_id and self.provider.kind != Organisation.Kind.TRAINING_PROVIDER:
            raise ValidationError({"provider": _("Programmes are run by training providers.")})
        unknown = set(self.eligible_stages or []) - set(calc.BUSINESS_STAGES)
        if unknown:
            raise ValidationError({"eligible_stages": _("Unknown business stage.")})

    @property
    def eligibility(self) -> calc.Eligibility:
        return calc.Eligibility(
            countries=frozenset(self.eligible_countries or []),
            minimum_age=self.minimum_age,
            maximum_age=self.maximum_age,
            stages=frozenset(self.eligible_stages or []),
        )


class Cohort(models.Model):
    """A class of a programme with dates and a number of seats; seats are taken atomically."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    capacity = models.PositiveIntegerField(_("seats"))
    seats_taken = models.PositiveIntegerField(default=0)
    applications_open_on = models.DateField(null=True, blank=True)
    applications_close_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")), name="learning_cohort_within_capacity"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="learning_cohort_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} · {self.name}"

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)


class LiveSession(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    location = models.CharField(_("where"), max_length=200, blank=True)
    join_url = models.URLField(_("link to join"), blank=True)

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return self.title


class Course(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="courses")
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=400, blank=True)
    description = models.TextField(_("description (Markdown)"), blank=True)
    language = models.CharField(max_length=10, default="en")
    position = models.PositiveSmallIntegerField(default=0)
    estimated_hours = models.PositiveSmallIntegerField(default=1)
    is_published = models.BooleanField(default=True)
    issues_certificate = models.BooleanField(default=True)
    marks_export_ready = models.BooleanField(
        default=False,
        help_text=_("Completing it shows an export-ready badge on the learner's storefront."),
    )
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="required_by"
    )

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title


class ProgrammeTranslation(models.Model):
    """A programme's texts in one language, filled by its provider; a missing text falls back
    to the programme's own (see ``core.translations.text_in``)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=10)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=400, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "language"], name="learning_programme_translation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} [{self.language}] {self.title}"


class CourseTranslation(models.Model):
    """A course's texts in one language, filled by the programme's provider."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=10)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=400, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["course", "language"], name="learning_course_translation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.course_id} [{self.language}] {self.title}"


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    body = models.TextField(_("text (Markdown)"), blank=True)
    video_url = models.URLField(
        _("video link"), blank=True, validators=[_validate_video_url], max_length=300
    )
    minutes = models.PositiveSmallIntegerField(default=10)
    # The same lesson taught in another course: completing either counts in both courses.
    # Points at the original (a lesson that reuses none), never at another reuse.
    reuses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reused_in",
        verbose_name=_("reuses the lesson"),
        limit_choices_to={"reuses__isnull": True},
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def shared_id(self) -> int:
        """The lesson's identity across the courses that reuse it."""
        return self.reuses_id or self.pk

    def clean(self) -> None:
        super().clean()
        if self.reuses_id is not None and (
            self.reuses_id == self.pk or (self.reuses is not None and self.reuses.reuses_id)
        ):
            raise ValidationError(
                {"reuses": _("Reuse the original lesson, not this one or another reuse.")}
            )


class LessonFile(models.Model):
    """A downloadable file of a lesson (a template, a checklist, slides)."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="files")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(upload_to="learning/files/%Y/")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class Quiz(models.Model):
    """The quiz closing a module. Failing never removes a learner: they may try again while
    attempts are left, and a trainer may grant more."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="quizzes")
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    introduction = models.TextField(blank=True)
    pass_mark_percent = models.PositiveSmallIntegerField(
        default=70, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        default=3, help_text=_("0 for unlimited attempts.")
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "quizzes"
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark_percent__gte=1, pass_mark_percent__lte=100),
                name="learning_quiz_pass_mark_range",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = calc.SINGLE, _("One answer")
        MULTIPLE = calc.MULTIPLE, _("Several answers")

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    explanation = models.TextField(blank=True, help_text=_("Shown with the results."))
    points = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    is_correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class Enrolment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Learning")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrolments")
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="enrolments"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    enrolled_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "course"], name="learning_enrolment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.learner} in {self.course}"


class LessonCompletion(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="completions")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    completed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "lesson"], name="learning_lesson_completion_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} · lesson {self.lesson_id}"


class QuizAttempt(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attempts")
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    selected = models.JSONField(default=dict)  # {"<question id>": [choice ids]}
    points = models.PositiveIntegerField()
    max_points = models.PositiveIntegerField()
    passed = models.BooleanField()
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "quiz", "number"], name="learning_attempt_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.quiz} #{self.number}"

    @property
    def percent(self) -> int:
        return calc.QuizScore(self.points, self.max_points, self.passed, frozenset()).percent


class AttemptGrant(models.Model):
    """Extra attempts a trainer gave a learner who used all theirs."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="grants")
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="+")
    extra_attempts = models.PositiveSmallIntegerField(default=1)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"+{self.extra_attempts} at quiz {self.quiz_id}"


class Invitation(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True)
    email = models.EmailField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cohort", "email"], name="learning_invitation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.cohort}"


# -- applications ------------------------------------------------------------------------------


class ApplicationQuestion(models.Model):
    """A question of a programme's application form."""

    class Kind(models.TextChoices):
        TEXT = calc.TEXT, _("Short text")
        LONG_TEXT = calc.LONG_TEXT, _("Long text")
        CHOICE = calc.CHOICE, _("Choice")
        NUMBER = calc.NUMBER, _("Number")
        DATE = calc.DATE, _("Date")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=300)
    help_text = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TEXT)
    choices = models.JSONField(default=list, blank=True)
    is_required = models.BooleanField(default=True)
    minimum = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    maximum = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "key"], name="learning_application_question_key_unique"
            )
        ]

    def __str__(self) -> str:
        return self.label

    def as_rule(self) -> calc.FormQuestion:
        return calc.FormQuestion(
            key=self.key,
            kind=self.kind,
            required=self.is_required,
            choices=tuple(str(choice) for choice in self.choices or []),
            minimum=self.minimum,
            maximum=self.maximum,
        )


class RubricCriterion(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=200)
    description = models.CharField(max_length=400, blank=True)
    weight = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    max_score = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "rubric criteria"
        constraints = [
            models.UniqueConstraint(fields=["programme", "key"], name="learning_criterion_unique")
        ]

    def __str__(self) -> str:
        return self.label

    def as_rule(self) -> calc.Criterion:
        return calc.Criterion(self.key, self.weight, self.max_score)


class ProgrammeReviewer(models.Model):
    """A person the programme asked to review applications."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="reviewers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_roles"
    )
    added_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "user"], name="learning_reviewer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} reviews {self.programme}"


class Application(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        WAITLISTED = "waitlisted", _("Waitlisted")
        REJECTED = "rejected", _("Not selected")
        DECLINED = "declined", _("Place declined")
        WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")

    class Stage(models.TextChoices):
        IDEA = "idea", _("Idea")
        PROTOTYPE = "prototype", _("Prototype")
        EARLY_REVENUE = "early_revenue", _("Early revenue")
        GROWTH = "growth", _("Growing")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The applicant's business, when it is on the platform."),
    )
    business_name = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2)
    birth_date = models.DateField(null=True, blank=True)
    business_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    answers = models.JSONField(default=dict)
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.TextField(blank=True)
    # Why the application was accepted before every assigned reviewer had scored it.
    fewer_reviews_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)  # last edit by the applicant

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "applicant"], name="learning_application_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.applicant} for {self.cohort}"


class ConflictDeclaration(models.Model):
    """A reviewer's declared conflict of interest with an application: never assigned to it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="conflicts")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="declared_conflicts"
    )
    reason = models.CharField(max_length=300, blank=True)
    declared_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="learning_conflict_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} conflicts with {self.application}"


class ReviewAssignment(models.Model):
    """A reviewer's task on one application, and once submitted, their review."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="assignments"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_assignments"
    )
    assigned_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="learning_assignment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} reviews {self.application}"


class ReviewScore(models.Model):
    assignment = models.ForeignKey(
        ReviewAssignment, on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(RubricCriterion, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "criterion"], name="learning_score_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.score}"


class ApplicationNotice(models.Model):
    """One message sent to an applicant of one kind: the record that keeps sending idempotent."""

    class Kind(models.TextChoices):
        RECEIVED = "received"
        ACCEPTED = "accepted"
        WAITLISTED = "waitlisted"
        REJECTED = "rejected"
        PROMOTED = "promoted"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="learning_notice_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.application}"


# -- certificates ------------------------------------------------------------------------------


class Certificate(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=11, unique=True)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    holder_name = models.CharField(max_length=200)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="certificates")
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.PROTECT, related_name="certificates"
    )
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="certificates"
    )
    issued_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALID)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revocation_reason = models.TextField(blank=True)
    # The signed OpenBadgeCredential exactly as issued.
    credential = models.JSONField(default=dict)
    key_id = models.CharField(max_length=64)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["holder", "course"],
                condition=Q(course__isnull=False),
                name="learning_certificate_course_unique",
            ),
            models.UniqueConstraint(
                fields=["holder", "programme"],
                condition=Q(course__isnull=True),
                name="learning_certificate_programme_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.holder_name}"

    @property
    def achievement_title(self) -> str:
        return self.course.title if self.course_id and self.course else self.programme.title

    @property
    def is_valid(self) -> bool:
        return self.status == self.Status.VALID
