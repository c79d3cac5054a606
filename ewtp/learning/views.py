"""Pages of learning: catalogue, course, lesson, quiz, dashboards, applications, reviews,
decisions and the public certificate verification."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ewtp.accounts.models import Organisation, User
from ewtp.accounts.selectors import organisations_of
from ewtp.core import clock, signing
from ewtp.core.errors import DomainError, NotAuthenticated, NotFound, PermissionDenied
from ewtp.core.pagination import paginate
from ewtp.core.translations import TranslationsForm, text_in, translations_initial
from ewtp.learning import codes, content, pdf
from ewtp.learning.forms import (
    ApplicationForm,
    CertificateFindForm,
    ConflictForm,
    DecisionForm,
    InviteForm,
    ReviewForm,
)
from ewtp.learning.links import issuer_url
from ewtp.learning.models import (
    Application,
    Certificate,
    Course,
    Enrolment,
    Invitation,
    Programme,
)
from ewtp.learning.selectors.applications import (
    application_get_for,
    application_may_change,
    assignment_get_for,
    assignments_for,
    cohort_ranking_for,
    cohorts_open_for_applications,
    is_reviewer,
)
from ewtp.learning.selectors.certificates import (
    certificate_lookup,
    certificate_may_revoke,
    certificate_verification,
)
from ewtp.learning.selectors.courses import (
    Item,
    attempt_get_for,
    can_manage,
    can_teach,
    course_get,
    course_get_for_manager,
    course_items,
    course_modules,
    courses_published,
    enrolment_of,
    lesson_get_for,
    missing_prerequisites,
    programme_get,
    programme_get_for_manager,
    programmes_published,
    progress_of,
    quiz_get_for,
    quiz_standing,
)
from ewtp.learning.selectors.dashboard import learner_dashboard
from ewtp.learning.selectors.figures import (
    application_pipeline,
    cohort_get_for_manager,
    programme_figures,
    provider_programmes_for,
)
from ewtp.learning.services import applications, certificates, courses, enrolments, reviews
from ewtp.learning.services import translations as translation_services
from ewtp.learning.services.translations import LEARNING_TEXTS

View = Callable[..., Any]


def domain_errors(view: View) -> View:
    """NotFound is a 404, a guest asked to log in, a refusal explained on a 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response: HttpResponse = view(request, *args, **kwargs)
            return response
        except NotFound as error:
            raise Http404(error.message) from None
        except NotAuthenticated:
            return redirect_to_login(request.get_full_path())
        except PermissionDenied as error:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            return render(
                request,
                "learning/denied.html",
                {"message": error.message, "error": error},
                status=403,
            )

    return wrapper


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _error_message(error: DomainError) -> str:
    if error.fields:
        return f"{error.message} " + " ".join(error.fields.values())
    return error.message


# -- catalogue, programme, course -------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """The course catalogue, by programme."""
    q = request.GET.get("q", "").strip()
    page = paginate(courses_published(q=q), request.GET.get("page"), per_page=24)
    programmes = programmes_published()
    return render(
        request,
        "learning/catalogue.html",
        {"page": page, "courses": page.items, "programmes": programmes, "q": q},
    )


@domain_errors
def programme_detail(request: HttpRequest, slug: str) -> HttpResponse:
    programme = programme_get(slug)
    today = clock.today()
    open_cohorts = (
        cohorts_open_for_applications(programme, today)
        if programme.enrolment_mode == Programme.Mode.APPLICATION
        else []
    )
    mine = []
    if request.user.is_authenticated:
        mine = list(
            Application.objects.filter(applicant=_user(request), cohort__programme=programme)
        )
    return render(
        request,
        "learning/programme.html",
        {
            "programme": programme,
            "description": content.render_markdown(
                text_in(programme, "description", translation.get_language())
            ),
            "courses": programme.courses.filter(is_published=True).prefetch_related("translations"),
            "cohorts": programme.cohorts.prefetch_related("sessions"),
            "open_cohorts": open_cohorts,
            "my_applications": mine,
            "criteria": list(programme.criteria.all()),
            "can_manage": can_manage(request.user, programme),
        },
    )


@domain_errors
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_get(slug)
    modules = course_modules(course)
    items = course_items(course, modules)
    enrolment = enrolment_of(request.user, course)
    if enrolment is not None and enrolment.status == Enrolment.Status.WITHDRAWN:
        enrolment = None
    progress = progress_of(enrolment, items)
    certificate = None
    if enrolment is not None and enrolment.status == Enrolment.Status.COMPLETED:
        certificate = Certificate.objects.filter(holder=_user(request), course=course).first()
    programme = course.programme
    cohorts = [c for c in programme.cohorts.all() if c.ends_on >= clock.today()]
    missing: list[Any] = []
    if request.user.is_authenticated:
        missing = missing_prerequisites(_user(request), course)
    return render(
        request,
        "learning/course.html",
        {
            "course": course,
            "programme": programme,
            "description": content.render_markdown(
                text_in(course, "description", translation.get_language())
            ),
            "modules": modules,
            "items": items,
            "enrolment": enrolment,
            "progress": progress,
            "certificate": certificate,
            "cohorts": cohorts,
            "missing_prerequisites": missing,
            "can_teach": can_teach(request.user, programme),
        },
    )


@login_required
@require_POST
@domain_errors
def course_enrol(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_get(slug)
    cohort = None
    cohort_id = request.POST.get("cohort", "")
    if cohort_id:
        cohort = course.programme.cohorts.filter(public_id=cohort_id).first()
    try:
        enrolments.enrolment_create(learner=_user(request), course=course, cohort=cohort)
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        messages.error(request, _error_message(error))
        return HttpResponseRedirect(reverse("learning:course", args=[slug]))
    messages.success(request, _("You are enrolled. Start with the first lesson."))
    items = course_items(course)
    if items:
        return HttpResponseRedirect(_item_url(course.slug, items[0]))
    return HttpResponseRedirect(reverse("learning:course", args=[slug]))


def _item_url(slug: str, item: Item | None) -> str:
    if item is None:
        return reverse("learning:course", args=[slug])
    name = "learning:lesson" if item.kind == "lesson" else "learning:quiz"
    return reverse(name, args=[slug, item.id])


def _neighbours(
    items: list[Item], kind: str, item_id: int
) -> tuple[Item | None, Item | None, Item | None]:
    for index, item in enumerate(items):
        if item.kind == kind and item.id == item_id:
            previous = items[index - 1] if index > 0 else None
            following = items[index + 1] if index + 1 < len(items) else None
            return previous, item, following
    return None, None, None


@login_required
@domain_errors
def lesson_detail(request: HttpRequest, slug: str, lesson_id: int) -> HttpResponse:
    course = course_get(slug)
    lesson, enrolment = lesson_get_for(request.user, course, lesson_id)
    items = course_items(course)
    previous, current, following = _neighbours(items, "lesson", lesson.pk)
    progress = progress_of(enrolment, items)
    return render(
        request,
        "learning/lesson.html",
        {
            "course": course,
            "lesson": lesson,
            "body": content.render_markdown(lesson.body),
            "video": content.video_embed(lesson.video_url),
            "files": lesson.files.all(),
            "items": items,
            "current": current,
            "previous": previous,
            "next": following,
            "previous_url": _item_url(slug, previous) if previous else "",
            "next_url": _item_url(slug, following) if following else "",
            "enrolment": enrolment,
            "progress": progress,
            "is_done": lesson.pk in progress.lessons_done,
        },
    )


@login_required
@require_POST
@domain_errors
def lesson_done(request: HttpRequest, slug: str, lesson_id: int) -> HttpResponse:
    course = course_get(slug)
    lesson, _enrolment = lesson_get_for(request.user, course, lesson_id)
    enrolment = courses.lesson_complete(learner=_user(request), lesson=lesson)
    items = course_items(course)
    _previous, _current, following = _neighbours(items, "lesson", lesson.pk)
    if enrolment.status == Enrolment.Status.COMPLETED:
        messages.success(request, _("Course completed: your certificate is ready."))
        return HttpResponseRedirect(reverse("learning:course", args=[slug]))
    return HttpResponseRedirect(_item_url(slug, following))


@login_required
@domain_errors
def lesson_file(
    request: HttpRequest, slug: str, lesson_id: int, file_id: int
) -> HttpResponse | FileResponse:
    course = course_get(slug)
    lesson, _enrolment = lesson_get_for(request.user, course, lesson_id)
    attachment = lesson.files.filter(pk=file_id).first()
    if attachment is None or not attachment.file:
        raise Http404
    return FileResponse(attachment.file.open("rb"), as_attachment=True)


@login_required
@domain_errors
def quiz_detail(request: HttpRequest, slug: str, quiz_id: int) -> HttpResponse:
    course = course_get(slug)
    quiz, enrolment = quiz_get_for(request.user, course, quiz_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        selected = {
            question.pk: request.POST.getlist(f"question_{question.pk}")
            for question in quiz.questions.all()
        }
        try:
            attempt = courses.quiz_submit(
                learner=_user(request),
                quiz=quiz,
                selected={
                    q: [int(c) for c in chosen if c.isdigit()] for q, chosen in selected.items()
                },
            )
        except DomainError as error:
            if isinstance(error, NotFound | PermissionDenied):
                raise
            errors = error.fields
            messages.error(request, error.message)
        else:
            return HttpResponseRedirect(
                reverse("learning:quiz_result", args=[slug, quiz.pk, attempt.number])
            )
    items = course_items(course)
    previous, current, following = _neighbours(items, "quiz", quiz.pk)
    standing = quiz_standing(enrolment, quiz)
    return render(
        request,
        "learning/quiz.html",
        {
            "course": course,
            "quiz": quiz,
            "questions": quiz.questions.all(),
            "standing": standing,
            "errors": errors,
            "error_ids": {
                int(key.removeprefix("question_"))
                for key in errors
                if key.startswith("question_") and key.removeprefix("question_").isdigit()
            },
            "enrolment": enrolment,
            "previous_url": _item_url(slug, previous) if previous else "",
            "next_url": _item_url(slug, following) if following else "",
            "current": current,
            "items": items,
        },
    )


@login_required
@domain_errors
def quiz_result(request: HttpRequest, slug: str, quiz_id: int, number: int) -> HttpResponse:
    course = course_get(slug)
    quiz, enrolment = quiz_get_for(request.user, course, quiz_id)
    attempt = attempt_get_for(request.user, quiz, number)
    standing = quiz_standing(attempt.enrolment, quiz)
    selected = {int(q): set(chosen) for q, chosen in attempt.selected.items()}
    questions = []
    for question in quiz.questions.all():
        chosen = selected.get(question.pk, set())
        correct = {c.pk for c in question.choices.all() if c.is_correct}
        questions.append(
            {
                "question": question,
                "chosen": chosen,
                "is_correct": bool(chosen) and chosen == correct,
                "show_answers": attempt.passed or not standing.may_attempt,
            }
        )
    items = course_items(course)
    _previous, _current, following = _neighbours(items, "quiz", quiz.pk)
    enrolment = attempt.enrolment
    enrolment.refresh_from_db()
    certificate = None
    if enrolment.status == Enrolment.Status.COMPLETED:
        certificate = Certificate.objects.filter(holder=_user(request), course=course).first()
    return render(
        request,
        "learning/quiz_result.html",
        {
            "course": course,
            "quiz": quiz,
            "attempt": attempt,
            "standing": standing,
            "questions": questions,
            "next_url": _item_url(slug, following) if following else "",
            "certificate": certificate,
        },
    )


# -- the learner's dashboard and invitations ------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    data = learner_dashboard(request.user)
    rows = data["rows"]
    for row in rows:
        row.next_url = _item_url(row.enrolment.course.slug, row.progress.next_item)
    return render(
        request,
        "learning/dashboard.html",
        {**data, "is_reviewer": is_reviewer(request.user)},
    )


@login_required
@domain_errors
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            invitation = enrolments.invitation_accept(learner=_user(request), token=token)
        except DomainError as error:
            if isinstance(error, NotFound):
                raise
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("learning:dashboard"))
        messages.success(request, _("Welcome: you are enrolled in the cohort."))
        return HttpResponseRedirect(
            reverse("learning:programme", args=[invitation.cohort.programme.slug])
        )
    found = Invitation.objects.select_related("cohort__programme").filter(token=token).first()
    if found is None:
        raise Http404
    return render(request, "learning/invitation.html", {"invitation": found})


# -- applications ------------------------------------------------------------------------------------


def _application_in(form: ApplicationForm) -> applications.ApplicationIn:
    data = form.cleaned_data
    organisation = None
    if data.get("organisation"):
        organisation = Organisation.objects.filter(slug=data["organisation"]).first()
    return applications.ApplicationIn(
        answers=form.answers(),
        country=data.get("country", ""),
        birth_date=data.get("birth_date"),
        business_stage=data.get("business_stage", ""),
        business_name=data.get("business_name", ""),
        organisation=organisation,
    )


def _form_errors(form: ApplicationForm, error: DomainError) -> None:
    for name, message in error.fields.items():
        form.add_error(form.field_for_error(name), message)
    form.add_error(None, error.message)


@login_required
@domain_errors
def application_form(request: HttpRequest, slug: str, cohort_id: str) -> HttpResponse:
    programme = programme_get(slug)
    cohort = programme.cohorts.filter(public_id=cohort_id).first()
    if cohort is None or programme.enrolment_mode != Programme.Mode.APPLICATION:
        raise Http404
    user = _user(request)
    existing = Application.objects.filter(cohort=cohort, applicant=user).first()
    if existing is not None:
        return HttpResponseRedirect(reverse("learning:application", args=[existing.public_id]))
    organisations = list(organisations_of(user).order_by("name"))
    form = ApplicationForm(request.POST or None, programme=programme, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        filled = _application_in(form)
        try:
            application = applications.application_submit(
                applicant=user,
                cohort=cohort,
                answers=filled.answers,
                country=filled.country,
                birth_date=filled.birth_date,
                business_stage=filled.business_stage,
                business_name=filled.business_name,
                organisation=filled.organisation,
                language=translation.get_language() or user.language,
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Your application is submitted."))
            return HttpResponseRedirect(
                reverse("learning:application", args=[application.public_id])
            )
    return render(
        request,
        "learning/apply.html",
        {"programme": programme, "cohort": cohort, "form": form},
    )


@login_required
@domain_errors
def application_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    application = application_get_for(request.user, public_id)
    questions = {q.key: q.label for q in application.cohort.programme.questions.all()}
    answers = [(questions.get(key, key), value) for key, value in application.answers.items()]
    return render(
        request,
        "learning/application.html",
        {
            "application": application,
            "answers": answers,
            "is_applicant": application.applicant_id == request.user.pk,
            "may_change": application.applicant_id == request.user.pk
            and application_may_change(application),
        },
    )


@login_required
@domain_errors
def application_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    """The applicant corrects their application, until the deadline and while undecided."""
    application = application_get_for(request.user, public_id)
    user = _user(request)
    if application.applicant_id != user.pk:
        raise Http404
    programme = application.cohort.programme
    detail = reverse("learning:application", args=[application.public_id])
    if not application_may_change(application):
        messages.error(request, _("This application can no longer be changed."))
        return HttpResponseRedirect(detail)
    organisations = list(organisations_of(user).order_by("name"))
    form = ApplicationForm(
        request.POST or None,
        programme=programme,
        organisations=organisations,
        initial=ApplicationForm.initial_of(application),
    )
    if request.method == "POST" and form.is_valid():
        try:
            applications.application_update(
                applicant=user, application=application, form=_application_in(form)
            )
        except DomainError as error:
            if isinstance(error, NotFound):
                raise
            _form_errors(form, error)
        else:
            messages.success(request, _("Your application is updated."))
            return HttpResponseRedirect(detail)
    return render(
        request,
        "learning/apply.html",
        {"programme": programme, "cohort": application.cohort, "form": form, "editing": True},
    )


@login_required
@require_POST
@domain_errors
def application_withdraw(request: HttpRequest, public_id: str) -> HttpResponse:
    application = application_get_for(request.user, public_id)
    try:
        applications.application_withdraw(applicant=_user(request), application=application)
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your application is withdrawn."))
    return HttpResponseRedirect(reverse("learning:application", args=[public_id]))


@login_required
@require_POST
@domain_errors
def application_decline(request: HttpRequest, public_id: str) -> HttpResponse:
    application = application_get_for(request.user, public_id)
    try:
        applications.application_decline(applicant=_user(request), application=application)
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, _("You have given up your place. Thank you for telling us."))
    return HttpResponseRedirect(reverse("learning:application", args=[public_id]))


# -- the trainer ----------------------------------------------------------------------------------------


@login_required
def provider_dashboard(request: HttpRequest) -> HttpResponse:
    programmes = []
    for programme in provider_programmes_for(request.user):
        pipelines = []
        if programme.enrolment_mode == Programme.Mode.APPLICATION:
            pipelines = [
                (cohort, application_pipeline(cohort)) for cohort in programme.cohorts.all()
            ]
        programmes.append(
            {
                "programme": programme,
                "figures": programme_figures(programme),
                "pipelines": pipelines,
                "can_manage": can_manage(request.user, programme),
            }
        )
    return render(request, "learning/provider_dashboard.html", {"programmes": programmes})


def _cohort_context(request: HttpRequest, cohort: Any, status: str = "") -> dict[str, Any]:
    if status not in Application.Status.values:
        status = ""
    ranking = cohort_ranking_for(request.user, cohort, status=status)
    cohort.refresh_from_db()
    return {
        "cohort": cohort,
        "programme": cohort.programme,
        "ranking": ranking,
        "status": status,
        "statuses": Application.Status.choices,
        "criteria": list(cohort.programme.criteria.all()),
    }


@login_required
@domain_errors
def cohort_manage(request: HttpRequest, cohort_id: str) -> HttpResponse:
    """The manager's decision page: applications ranked, with the places left."""
    cohort = cohort_get_for_manager(request.user, cohort_id)
    context = _cohort_context(request, cohort, request.GET.get("status", ""))
    context["invite_form"] = InviteForm()
    return render(request, "learning/cohort_manage.html", context)


@login_required
@require_POST
@domain_errors
def cohort_assign(request: HttpRequest, cohort_id: str) -> HttpResponse:
    cohort = cohort_get_for_manager(request.user, cohort_id)
    created = reviews.reviewers_assign(actor=_user(request), cohort=cohort)
    messages.success(
        request,
        ngettext(
            "%(count)d review assignment made.", "%(count)d review assignments made.", len(created)
        )
        % {"count": len(created)},
    )
    return HttpResponseRedirect(reverse("learning:cohort_manage", args=[cohort_id]))


@login_required
@require_POST
@domain_errors
def cohort_invite(request: HttpRequest, cohort_id: str) -> HttpResponse:
    cohort = cohort_get_for_manager(request.user, cohort_id)
    form = InviteForm(request.POST)
    if form.is_valid():
        sent = 0
        for address in form.addresses():
            try:
                enrolments.invitation_create(actor=_user(request), cohort=cohort, email=address)
                sent += 1
            except DomainError as error:
                if isinstance(error, NotFound | PermissionDenied):
                    raise
                messages.error(
                    request,
                    _("%(address)s: %(message)s") % {"address": address, "message": error.message},
                )
        messages.success(
            request,
            ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", sent)
            % {"count": sent},
        )
    return HttpResponseRedirect(reverse("learning:cohort_manage", args=[cohort_id]))


@login_required
@require_POST
@domain_errors
def application_decide(request: HttpRequest, public_id: str) -> HttpResponse:
    application = application_get_for(request.user, public_id)
    form = DecisionForm(request.POST)
    cohort_url = reverse("learning:cohort_manage", args=[application.cohort.public_id])
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return HttpResponseRedirect(cohort_url)
    notice, level = "", "success"
    confirm: dict[str, Any] | None = None
    data = form.cleaned_data
    try:
        decided = applications.application_decide(
            actor=_user(request),
            application=application,
            decision=data["decision"],
            note=data["note"],
            fewer_reviews_reason=data["fewer_reviews_reason"] if data["confirm"] else None,
        )
    except DomainError as error:
        if isinstance(error, NotFound | PermissionDenied):
            raise
        notice, level = error.message, "error"
        if error.code in {"fewer_reviews", "reason_required"}:
            # Ask again, with the reason: accepting early is a decision to explain.
            confirm = {"application": application, "message": error.message}
    else:
        notice = _("%(name)s: %(status)s.") % {
            "name": decided.applicant.get_full_name(),
            "status": decided.get_status_display(),
        }
    if request.htmx or confirm:  # type: ignore[attr-defined]
        # The ranking table and the places left, re-drawn in place.
        context = _cohort_context(request, application.cohort)
        context.update(notice=notice, notice_level=level, confirm=confirm)
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "learning/cohort_manage.html#ranking", context)
        context["invite_form"] = InviteForm()
        return render(request, "learning/cohort_manage.html", context, status=409)
    if level == "error":
        messages.error(request, notice)
    else:
        messages.success(request, notice)
    return HttpResponseRedirect(cohort_url)


# -- reviewers ------------------------------------------------------------------------------------------


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    assignments = assignments_for(request.user)
    return render(request, "learning/reviews.html", {"assignments": assignments})


@login_required
@domain_errors
def review_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    assignment = assignment_get_for(request.user, public_id)
    application = assignment.application
    programme = application.cohort.programme
    criteria = list(programme.criteria.all())
    initial: dict[str, object] = {
        f"score_{s.criterion.key}": s.score for s in assignment.scores.select_related("criterion")
    }
    initial["comment"] = assignment.comment
    form = ReviewForm(request.POST or None, criteria=criteria, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            reviews.review_submit(
                reviewer=_user(request),
                assignment=assignment,
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
            )
        except DomainError as error:
            if isinstance(error, NotFound):
                raise
            for name, message in error.fields.items():
                field = "score_" + name.removeprefix("scores.")
                form.add_error(field if field in form.fields else None, message)
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your review is saved."))
            return HttpResponseRedirect(reverse("learning:reviews"))
    questions = {q.key: q.label for q in programme.questions.all()}
    answers = [(questions.get(key, key), value) for key, value in application.answers.items()]
    return render(
        request,
        "learning/review.html",
        {
            "assignment": assignment,
            "application": application,
            "programme": programme,
            "answers": answers,
            "form": form,
            "conflict_form": ConflictForm(),
        },
    )


@login_required
@require_POST
@domain_errors
def review_conflict(request: HttpRequest, public_id: str) -> HttpResponse:
    assignment = assignment_get_for(request.user, public_id)
    form = ConflictForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    reviews.conflict_declare(
        reviewer=_user(request), application=assignment.application, reason=reason
    )
    messages.success(
        request, _("Conflict of interest recorded; the application goes to another reviewer.")
    )
    return HttpResponseRedirect(reverse("learning:reviews"))


# -- certificates ----------------------------------------------------------------------------------------


def certificate_find(request: HttpRequest) -> HttpResponse:
    form = CertificateFindForm(request.GET or None)
    if form.is_valid():
        code = codes.normalise(form.cleaned_data["code"])
        return HttpResponseRedirect(reverse("learning:certificate", args=[code]))
    return render(request, "learning/certificate_find.html", {"form": form})


def certificate_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The public verification page: anyone may open it, from the QR code or by typing the code."""
    try:
        certificate = certificate_lookup(code)
    except NotFound as error:
        return render(
            request,
            "learning/certificate.html",
            {"error": error, "code": code, "form": CertificateFindForm(initial={"code": code})},
            status=404,
        )
    if certificate.code != code:
        return HttpResponseRedirect(reverse("learning:certificate", args=[certificate.code]))
    page_url = request.build_absolute_uri(reverse("learning:certificate", args=[certificate.code]))
    return render(
        request,
        "learning/certificate.html",
        {
            "certificate": certificate,
            "verification": certificate_verification(certificate),
            "code_display": codes.display(certificate.code),
            "page_url": page_url,
            "qr": pdf.qr_svg(page_url),
            "is_holder": certificate.holder_id == request.user.pk,
            "may_revoke": certificate.is_valid
            and certificate_may_revoke(request.user, certificate),
        },
    )


@domain_errors
def certificate_pdf(request: HttpRequest, code: str) -> HttpResponse:
    certificate = certificate_lookup(code)
    page_url = request.build_absolute_uri(reverse("learning:certificate", args=[certificate.code]))
    document = pdf.certificate_pdf(
        certificate, page_url, language=translation.get_language() or "en"
    )
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{certificate.code}.pdf"'
    return response


@domain_errors
def certificate_credential(request: HttpRequest, code: str) -> HttpResponse:
    certificate = certificate_lookup(code)
    response = JsonResponse(
        certificate.credential, json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.code}.json"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@login_required
@require_POST
@domain_errors
def certificate_revoke(request: HttpRequest, code: str) -> HttpResponse:
    certificate = certificate_lookup(code)
    try:
        certificates.certificate_revoke(
            actor=_user(request), certificate=certificate, reason=request.POST.get("reason", "")
        )
    except DomainError as error:
        if isinstance(error, NotFound | PermissionDenied):
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, _("The certificate is revoked."))
    return HttpResponseRedirect(reverse("learning:certificate", args=[certificate.code]))


def issuer(request: HttpRequest) -> JsonResponse:
    """The issuer's profile and controller document: its Ed25519 key as a Multikey under
    assertionMethod, which a credential's verificationMethod (issuer#key-id) dereferences."""
    url = issuer_url()
    # Every key of the set, the active one first: retired keys still verify what they signed.
    methods = [
        {
            "id": f"{url}#{kid}",
            "type": "Multikey",
            "controller": url,
            "publicKeyMultibase": signing.multibase(raw),
        }
        for kid, raw, _active in signing.published_keys()
    ]
    body = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://w3id.org/security/multikey/v1",
        ],
        "id": url,
        "type": ["Profile"],
        "name": "eWTP",
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }
    response = JsonResponse(body)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=3600"
    return response


# -- texts in other languages (the programme's managers) --------------------------------------------


def _translations_page(
    request: HttpRequest, item: Programme | Course, programme: Programme, kind: str
) -> HttpResponse:
    """The translations form of a programme or a course: GET shows it, POST saves it."""
    if not can_manage(request.user, programme):
        raise PermissionDenied("permission_denied", _("Only the programme's managers may do this."))
    initial = translations_initial(item.translations.all(), LEARNING_TEXTS)
    form = TranslationsForm(request.POST or None, initial=initial, texts=LEARNING_TEXTS)
    if request.method == "POST" and form.is_valid():
        try:
            if isinstance(item, Course):
                translation_services.course_translations_set(
                    actor=request.user, course=item, translations=form.translations()
                )
            else:
                translation_services.programme_translations_set(
                    actor=request.user, programme=item, translations=form.translations()
                )
        except DomainError as error:
            form.add_errors(error.fields or {"__all__": error.message})
        else:
            messages.success(request, _("The translations are saved."))
            return HttpResponseRedirect(request.path)
    return render(
        request,
        "learning/translations.html",
        {"item": item, "programme": programme, "kind": kind, "form": form},
    )


@login_required
@domain_errors
def programme_translations(request: HttpRequest, slug: str) -> HttpResponse:
    programme = programme_get_for_manager(request.user, slug)
    return _translations_page(request, programme, programme, "programme")


@login_required
@domain_errors
def course_translations(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_get_for_manager(request.user, slug)
    return _translations_page(request, course, course.programme, "course")
