"""Reads of learning with their permission checks: the catalogue, a learner's progress, the
trainer's figures, the ranking of applications, certificate verification."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.accounts.selectors import as_user, is_platform_operator, organisations_of, role_in
from ewtp.core import signing
from ewtp.core.errors import NotFound, PermissionDenied
from ewtp.learning import codes, credentials, rules
from ewtp.learning.links import certificate_verification_url, site_url
from ewtp.learning.models import (
    Application,
    AttemptGrant,
    Certificate,
    Cohort,
    Course,
    Enrolment,
    Lesson,
    Module,
    Programme,
    ProgrammeReviewer,
    Quiz,
    QuizAttempt,
    ReviewAssignment,
)

MANAGER_ROLES = {Membership.Role.OWNER, Membership.Role.STAFF}


def attempts_allowed(enrolment: Enrolment, quiz: Quiz) -> int | None:
    """Attempts a learner has at a quiz, with any a trainer granted; None when unlimited."""
    if quiz.max_attempts == 0:
        return None
    granted = sum(
        AttemptGrant.objects.filter(enrolment=enrolment, quiz=quiz).values_list(
            "extra_attempts", flat=True
        )
    )
    return quiz.max_attempts + granted


def missing_prerequisites(user: User, course: Course) -> list[Course]:
    """The prerequisite courses the learner has not completed yet."""
    required = list(course.prerequisites.all())
    if not required:
        return []
    completed = set(
        Enrolment.objects.filter(
            learner=user, course__in=required, status=Enrolment.Status.COMPLETED
        ).values_list("course_id", flat=True)
    )
    return [prerequisite for prerequisite in required if prerequisite.pk not in completed]


def course_requirements(course: Course) -> tuple[set[int], set[int]]:
    """(lesson ids, quiz ids) a learner must finish to complete the course."""
    lessons = set(Lesson.objects.filter(module__course=course).values_list("id", flat=True))
    quizzes = set(Quiz.objects.filter(module__course=course).values_list("id", flat=True))
    return lessons, quizzes


# -- the catalogue and a course's outline ---------------------------------------------------------


def programmes_published() -> QuerySet[Programme]:
    return (
        Programme.objects.filter(is_published=True)
        .select_related("provider")
        .prefetch_related(
            Prefetch("courses", queryset=Course.objects.filter(is_published=True)),
            "cohorts",
        )
        .order_by("title")
    )


def courses_published(*, q: str = "") -> QuerySet[Course]:
    courses = Course.objects.filter(is_published=True, programme__is_published=True)
    if q.strip():
        courses = courses.filter(Q(title__icontains=q.strip()) | Q(summary__icontains=q.strip()))
    return courses.select_related("programme__provider").order_by(
        "programme__title", "position", "title"
    )


def programme_get(slug: str) -> Programme:
    programme = Programme.objects.select_related("provider").filter(slug=slug).first()
    if programme is None or not programme.is_published:
        raise NotFound("not_found", _("No such programme."))
    return programme


def course_get(slug: str) -> Course:
    course = (
        Course.objects.select_related("programme__provider")
        .prefetch_related("prerequisites")
        .filter(slug=slug)
        .first()
    )
    if course is None or not course.is_published or not course.programme.is_published:
        raise NotFound("not_found", _("No such course."))
    return course


@dataclass(frozen=True)
class Item:
    """A step of a course: a lesson or a quiz, in the order a learner meets them."""

    kind: str  # "lesson" or "quiz"
    id: int
    title: str
    module: Module
    position: int  # 1-based in the course


def course_modules(course: Course) -> list[Module]:
    return list(
        course.modules.prefetch_related(
            Prefetch("lessons", queryset=Lesson.objects.order_by("position", "id")),
            Prefetch("quizzes", queryset=Quiz.objects.order_by("position", "id")),
        )
    )


def course_items(course: Course, modules: list[Module] | None = None) -> list[Item]:
    """Each module's lessons, then its quizzes."""
    items: list[Item] = []
    for module in modules if modules is not None else course_modules(course):
        for lesson in module.lessons.all():
            items.append(Item("lesson", lesson.pk, lesson.title, module, len(items) + 1))
        for quiz in module.quizzes.all():
            items.append(Item("quiz", quiz.pk, quiz.title, module, len(items) + 1))
    return items


@dataclass
class Progress:
    lessons_done: set[int]
    quizzes_passed: set[int]
    steps_total: int
    steps_done: int
    next_item: Item | None

    @property
    def percent(self) -> int:
        return round(self.steps_done * 100 / self.steps_total) if self.steps_total else 0

    def is_done(self, item: Item) -> bool:
        return item.id in (self.lessons_done if item.kind == "lesson" else self.quizzes_passed)


def progress_of(enrolment: Enrolment | None, items: list[Item]) -> Progress:
    if enrolment is None:
        return Progress(set(), set(), len(items), 0, items[0] if items else None)
    done = set(enrolment.completions.values_list("lesson_id", flat=True))
    passed = set(enrolment.attempts.filter(passed=True).values_list("quiz_id", flat=True))
    progress = Progress(done, passed, len(items), 0, None)
    progress.steps_done = sum(1 for item in items if progress.is_done(item))
    progress.next_item = next((item for item in items if not progress.is_done(item)), None)
    return progress


def enrolment_of(actor: object, course: Course) -> Enrolment | None:
    user = as_user(actor)
    if user is None:
        return None
    return Enrolment.objects.filter(learner=user, course=course).select_related("cohort").first()


def can_teach(actor: object, programme: Programme) -> bool:
    """Members of the provider see every lesson and quiz (to prepare and check them)."""
    return role_in(actor, programme.provider) is not None


def can_manage(actor: object, programme: Programme) -> bool:
    return role_in(actor, programme.provider) in MANAGER_ROLES


def _may_study(actor: object, course: Course) -> Enrolment | None:
    """The actor's enrolment that allows studying the course; a trainer of it gets None."""
    enrolment = enrolment_of(actor, course)
    if enrolment is not None and enrolment.status != Enrolment.Status.WITHDRAWN:
        return enrolment
    if can_teach(actor, course.programme):
        return None
    raise PermissionDenied("not_enrolled", _("Enrol in the course to open its lessons."))


def lesson_get_for(
    actor: object, course: Course, lesson_id: int
) -> tuple[Lesson, Enrolment | None]:
    lesson = (
        Lesson.objects.select_related("module")
        .prefetch_related("files")
        .filter(pk=lesson_id, module__course=course)
        .first()
    )
    if lesson is None:
        raise NotFound("not_found", _("No such lesson."))
    return lesson, _may_study(actor, course)


def quiz_get_for(actor: object, course: Course, quiz_id: int) -> tuple[Quiz, Enrolment | None]:
    quiz = (
        Quiz.objects.select_related("module")
        .prefetch_related("questions__choices")
        .filter(pk=quiz_id, module__course=course)
        .first()
    )
    if quiz is None:
        raise NotFound("not_found", _("No such quiz."))
    return quiz, _may_study(actor, course)


@dataclass(frozen=True)
class QuizStanding:
    attempts: list[QuizAttempt]
    allowed: int | None  # None: unlimited
    passed: bool

    @property
    def left(self) -> int | None:
        return None if self.allowed is None else max(self.allowed - len(self.attempts), 0)

    @property
    def may_attempt(self) -> bool:
        return not self.passed and (self.left is None or self.left > 0)


def quiz_standing(enrolment: Enrolment | None, quiz: Quiz) -> QuizStanding:
    if enrolment is None:
        return QuizStanding([], quiz.max_attempts or None, False)
    attempts = list(QuizAttempt.objects.filter(enrolment=enrolment, quiz=quiz).order_by("number"))
    return QuizStanding(
        attempts, attempts_allowed(enrolment, quiz), any(a.passed for a in attempts)
    )


def attempt_get_for(actor: object, quiz: Quiz, number: int) -> QuizAttempt:
    user = as_user(actor)
    attempt = (
        QuizAttempt.objects.select_related("enrolment")
        .filter(quiz=quiz, number=number, enrolment__learner=user)
        .first()
        if user
        else None
    )
    if attempt is None:
        raise NotFound("not_found", _("No such attempt."))
    return attempt


# -- the learner's dashboard ----------------------------------------------------------------------


@dataclass
class EnrolmentRow:
    enrolment: Enrolment
    progress: Progress


def learner_dashboard(actor: object) -> dict[str, Any]:
    user = as_user(actor)
    if user is None:
        return {"rows": [], "certificates": [], "applications": [], "reviews": 0, "sessions": []}
    rows = []
    enrolments = (
        Enrolment.objects.filter(learner=user)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("course__programme", "cohort")
        .order_by("status", "-enrolled_at")
    )
    for enrolment in enrolments:
        rows.append(EnrolmentRow(enrolment, progress_of(enrolment, course_items(enrolment.course))))
    sessions = []
    cohorts = {row.enrolment.cohort for row in rows if row.enrolment.cohort}
    for cohort in sorted(cohorts, key=lambda c: c.starts_on):
        sessions += [(cohort, session) for session in cohort.sessions.all()]
    return {
        "rows": rows,
        "certificates": list(certificates_of(user)),
        "applications": list(
            Application.objects.filter(applicant=user).select_related("cohort__programme")
        ),
        "reviews": ReviewAssignment.objects.filter(
            reviewer=user, submitted_at__isnull=True
        ).count(),
        "sessions": sessions,
    }


def certificates_of(user: User) -> QuerySet[Certificate]:
    return Certificate.objects.filter(holder=user).select_related("programme", "course")


# -- the trainer's figures ------------------------------------------------------------------------


def provider_programmes_for(actor: object) -> QuerySet[Programme]:
    providers = organisations_of(actor, kind=Organisation.Kind.TRAINING_PROVIDER)
    return (
        Programme.objects.filter(provider__in=providers)
        .select_related("provider")
        .prefetch_related("cohorts", "courses")
        .order_by("title")
    )


@dataclass(frozen=True)
class Figures:
    label: str
    enrolments: int
    completed: int
    quiz_attempted: int
    quiz_passed: int

    @property
    def completion_percent(self) -> int:
        return round(self.completed * 100 / self.enrolments) if self.enrolments else 0

    @property
    def pass_percent(self) -> int:
        return round(self.quiz_passed * 100 / self.quiz_attempted) if self.quiz_attempted else 0


def figures_of(label: str, enrolments: QuerySet[Enrolment]) -> Figures:
    """Completion rate: completed enrolments over enrolments (withdrawn ones left out).
    Pass rate: (learner, quiz) pairs passed over pairs attempted."""
    enrolments = enrolments.exclude(status=Enrolment.Status.WITHDRAWN)
    attempts = QuizAttempt.objects.filter(enrolment__in=enrolments)
    return Figures(
        label=label,
        enrolments=enrolments.count(),
        completed=enrolments.filter(status=Enrolment.Status.COMPLETED).count(),
        quiz_attempted=attempts.values("enrolment", "quiz").distinct().count(),
        quiz_passed=attempts.filter(passed=True).values("enrolment", "quiz").distinct().count(),
    )


def programme_figures(programme: Programme) -> list[Figures]:
    """One row per cohort, and one for self-paced learners (no cohort)."""
    rows = [
        figures_of(cohort.name, Enrolment.objects.filter(cohort=cohort))
        for cohort in programme.cohorts.all()
    ]
    self_paced = Enrolment.objects.filter(course__programme=programme, cohort__isnull=True)
    if self_paced.exists():
        rows.append(figures_of("Self-paced", self_paced))
    return rows


def application_pipeline(cohort: Cohort) -> dict[str, int]:
    """How many applications stand where: awaiting review, reviewed, and each decision."""
    counts = dict(
        cohort.applications.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    undecided = cohort.applications.filter(status=Application.Status.SUBMITTED).annotate(
        assigned=Count("assignments"),
        submitted=Count("assignments", filter=Q(assignments__submitted_at__isnull=False)),
    )
    reviewed = sum(1 for a in undecided if a.assigned and a.submitted >= a.assigned)
    unassigned = sum(1 for a in undecided if not a.assigned)
    return {
        "total": sum(counts.values()),
        "unassigned": unassigned,
        "in_review": counts.get(Application.Status.SUBMITTED, 0) - reviewed - unassigned,
        "reviewed": reviewed,
        "accepted": counts.get(Application.Status.ACCEPTED, 0),
        "waitlisted": counts.get(Application.Status.WAITLISTED, 0),
        "rejected": counts.get(Application.Status.REJECTED, 0),
        "declined": counts.get(Application.Status.DECLINED, 0),
    }


def cohort_get_for_manager(actor: object, public_id: object) -> Cohort:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound("not_found", _("No such cohort.")) from None
    cohort = Cohort.objects.select_related("programme__provider").filter(public_id=key).first()
    if cohort is None or not can_teach(actor, cohort.programme):
        raise NotFound("not_found", _("No such cohort."))
    return cohort


# -- ranking ----------------------------------------------------------------------------------------


@dataclass
class RankedApplication:
    application: Application
    rank: int
    score: Decimal | None
    reviews_submitted: int
    reviews_assigned: int
    reviewers: list[str] = field(default_factory=list)


def ranked_applications(applications: Iterable[Application]) -> list[RankedApplication]:
    """Ranked by score (the mean of the submitted reviews' weighted percentages), highest first;
    ties go to the earlier submission, then the lower id; unscored applications come last.
    See rules.rank."""
    chosen = list(applications)
    if not chosen:
        return []
    programme_ids = {a.cohort.programme_id for a in chosen}
    criteria: dict[int, list[rules.Criterion]] = {pid: [] for pid in programme_ids}
    keys: dict[int, str] = {}
    programmes = Programme.objects.filter(pk__in=programme_ids).prefetch_related("criteria")
    for programme in programmes:
        for criterion in programme.criteria.all():
            criteria[programme.pk].append(criterion.as_rule())
            keys[criterion.pk] = criterion.key
    assignments = (
        ReviewAssignment.objects.filter(application__in=chosen)
        .select_related("reviewer")
        .prefetch_related("scores")
    )
    percents: dict[int, list[Decimal]] = {a.pk: [] for a in chosen}
    assigned: dict[int, list[str]] = {a.pk: [] for a in chosen}
    for assignment in assignments:
        assigned[assignment.application_id].append(assignment.reviewer.get_full_name())
        if assignment.submitted_at is None:
            continue
        scores = {
            keys[s.criterion_id]: s.score for s in assignment.scores.all() if s.criterion_id in keys
        }
        programme_id = next(
            a.cohort.programme_id for a in chosen if a.pk == assignment.application_id
        )
        rubric = criteria[programme_id]
        filled = {c.key: scores.get(c.key, 0) for c in rubric}
        percents[assignment.application_id].append(rules.review_percent(rubric, filled))
    by_id = {a.pk: a for a in chosen}
    order = rules.rank(
        rules.Ranked(a.pk, rules.application_score(percents[a.pk]), a.submitted_at) for a in chosen
    )
    return [
        RankedApplication(
            application=by_id[item.id],
            rank=position,
            score=item.score,
            reviews_submitted=len(percents[item.id]),
            reviews_assigned=len(assigned[item.id]),
            reviewers=assigned[item.id],
        )
        for position, item in enumerate(order, start=1)
    ]


def cohort_ranking_for(
    actor: object, cohort: Cohort, *, status: str = ""
) -> list[RankedApplication]:
    if not can_manage(actor, cohort.programme):
        raise PermissionDenied(
            "permission_denied", _("Only the programme's managers see the ranking.")
        )
    applications = cohort.applications.select_related("applicant", "cohort", "organisation")
    if status:
        applications = applications.filter(status=status)
    return ranked_applications(applications)


# -- applications and reviews -----------------------------------------------------------------------


def cohorts_open_for_applications(programme: Programme, today: Any) -> list[Cohort]:
    return [
        cohort
        for cohort in programme.cohorts.all()
        if (cohort.applications_open_on is None or cohort.applications_open_on <= today)
        and (cohort.applications_close_on is None or today <= cohort.applications_close_on)
        and cohort.ends_on >= today
    ]


def application_get_for(actor: object, public_id: object) -> Application:
    """The applicant sees their own application; the programme's managers see every one."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound("not_found", _("No such application.")) from None
    application = (
        Application.objects.select_related("cohort__programme__provider", "applicant")
        .filter(public_id=key)
        .first()
    )
    user = as_user(actor)
    if application is None or user is None:
        raise NotFound("not_found", _("No such application."))
    if application.applicant_id == user.pk or can_manage(user, application.cohort.programme):
        return application
    raise NotFound("not_found", _("No such application."))


def assignments_for(actor: object) -> QuerySet[ReviewAssignment]:
    user = as_user(actor)
    if user is None:
        return ReviewAssignment.objects.none()
    return (
        ReviewAssignment.objects.filter(reviewer=user)
        .select_related("application__cohort__programme", "application__applicant")
        .order_by("submitted_at", "assigned_at", "id")
    )


def assignment_get_for(actor: object, public_id: object) -> ReviewAssignment:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound("not_found", _("No such review.")) from None
    assignment = assignments_for(actor).filter(public_id=key).first()
    if assignment is None:
        raise NotFound("not_found", _("No such review."))
    return assignment


def is_reviewer(actor: object) -> bool:
    user = as_user(actor)
    return user is not None and ProgrammeReviewer.objects.filter(user=user).exists()


# -- certificates -----------------------------------------------------------------------------------


class CertificateCodeInvalid(NotFound):
    code = "certificate_code_invalid"


def certificate_lookup(code: str) -> Certificate:
    """A certificate by its code as typed. A code whose check character does not add up is
    reported as such (a typo or a forgery); a well-formed unknown code is simply not found."""
    normalised = codes.normalise(code)
    if not codes.is_well_formed(normalised):
        raise CertificateCodeInvalid(
            "certificate_code_invalid",
            _("This is not a valid certificate code: check it for typos."),
        )
    certificate = (
        Certificate.objects.select_related("programme__provider", "course", "holder")
        .filter(code=normalised)
        .first()
    )
    if certificate is None:
        raise NotFound("not_found", _("No certificate has this code."))
    return certificate


def signature_check(certificate: Certificate) -> dict[str, Any]:
    proof = certificate.credential.get("proof", {}) if certificate.credential else {}
    # The key the certificate names, active or retired: a rotation leaves it valid.
    public_key = signing.public_key_for(certificate.key_id)
    return {
        "type": proof.get("type", ""),
        "cryptosuite": proof.get("cryptosuite", ""),
        "verification_method": proof.get("verificationMethod", ""),
        "key_id": certificate.key_id,
        "public_key_multibase": signing.multibase(public_key) if public_key else None,
        "created": proof.get("created", ""),
        # Checked here with the named key; anyone may check it with the published key set.
        "valid": bool(
            public_key and credentials.verify_credential(certificate.credential, public_key)
        ),
    }


def certificate_verification(certificate: Certificate) -> dict[str, Any]:
    """What the public verification page and GET /api/v1/certificates/{code} show."""
    revoked = certificate.status == Certificate.Status.REVOKED
    course = certificate.course
    return {
        "code": certificate.code,
        "status": certificate.status,
        "holder": certificate.holder_name,
        "achievement": certificate.achievement_title,
        "programme": {"slug": certificate.programme.slug, "title": certificate.programme.title},
        "course": {"slug": course.slug, "title": course.title} if course else None,
        "provider": certificate.programme.provider.name,
        "issued_on": certificate.issued_at.date().isoformat(),
        "issued_at": certificate.issued_at.isoformat().replace("+00:00", "Z"),
        "revoked_at": certificate.revoked_at.isoformat().replace("+00:00", "Z")
        if revoked and certificate.revoked_at
        else None,
        "revocation_reason": certificate.revocation_reason if revoked else None,
        "signature": signature_check(certificate),
        "verification_url": certificate_verification_url(certificate.code),
        "credential_url": f"{site_url()}/learn/certificates/{certificate.code}/credential.json",
    }


def certificate_may_revoke(actor: object, certificate: Certificate) -> bool:
    return is_platform_operator(actor) or can_manage(actor, certificate.programme)


# -- links to trade -------------------------------------------------------------------------------


def export_ready_organisation_ids() -> set[int]:
    """Seller organisations one of whose members completed an export-readiness course (and whose
    certificate for it, if any, is not revoked): the catalogue shows a badge for them."""
    revoked = Certificate.objects.filter(
        holder=OuterRef("learner"),
        course=OuterRef("course"),
        status=Certificate.Status.REVOKED,
    )
    learners = (
        Enrolment.objects.filter(status=Enrolment.Status.COMPLETED, course__marks_export_ready=True)
        .exclude(Exists(revoked))
        .values("learner")
    )
    return set(
        Membership.objects.filter(
            user__in=learners, organisation__kind=Organisation.Kind.SELLER
        ).values_list("organisation_id", flat=True)
    )
