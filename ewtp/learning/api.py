"""API of learning: public certificate verification, the course catalogue, a learner's progress.

Mounted at /api/v1/: `/certificates/{code}` (fixed by contracts/interfaces.md) and
`/learning/...`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema

from ewtp.accounts.auth import BearerOrSession
from ewtp.core.pagination import paginate
from ewtp.core.ratelimit import rate_limit
from ewtp.learning.selectors.certificates import certificate_lookup, certificate_verification
from ewtp.learning.selectors.courses import course_get, course_items, courses_published, progress_of
from ewtp.learning.selectors.dashboard import learner_dashboard
from ewtp.learning.services import enrolments

router = Router(tags=["learning"])


class NamedRef(Schema):
    slug: str
    title: str


class SignatureOut(Schema):
    type: str
    cryptosuite: str
    verification_method: str
    key_id: str
    public_key_multibase: str | None
    created: str
    valid: bool


class CertificateOut(Schema):
    code: str
    status: str
    holder: str
    achievement: str
    programme: NamedRef
    course: NamedRef | None
    provider: str
    issued_on: str
    issued_at: str
    revoked_at: str | None
    revocation_reason: str | None
    signature: SignatureOut
    verification_url: str
    credential_url: str


class CourseOut(Schema):
    slug: str
    title: str
    summary: str
    programme: NamedRef
    provider: str
    enrolment_mode: str
    language: str
    estimated_hours: int


class CoursePageOut(Schema):
    items: list[CourseOut]
    page: int
    pages: int
    total: int


class EnrolmentOut(Schema):
    course: NamedRef
    status: str
    cohort: str | None
    steps_done: int
    steps_total: int
    percent: int
    next_step: str | None


@router.get(
    "/certificates/{code}",
    response={200: CertificateOut},
    summary="Verify a certificate (public): holder, programme, issue date, status, signature",
)
def certificate_verify(request: HttpRequest, code: str) -> dict[str, Any]:
    rate_limit(request, "learning.certificate", per_minute=120)
    return certificate_verification(certificate_lookup(code))


@router.get(
    "/learning/certificates/{code}/credential",
    summary="The signed Open Badges 3.0 credential of a certificate (eddsa-jcs-2022)",
)
def certificate_credential(request: HttpRequest, code: str) -> JsonResponse:
    certificate = certificate_lookup(code)
    response = JsonResponse(certificate.credential, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _course_out(course: Any) -> dict[str, Any]:
    return {
        "slug": course.slug,
        "title": course.title,
        "summary": course.summary,
        "programme": {"slug": course.programme.slug, "title": course.programme.title},
        "provider": course.programme.provider.name,
        "enrolment_mode": course.programme.enrolment_mode,
        "language": course.language,
        "estimated_hours": course.estimated_hours,
    }


@router.get("/learning/courses", response={200: CoursePageOut}, summary="Published courses")
def course_list(request: HttpRequest, q: str = "", page: int = 1) -> dict[str, Any]:
    result = paginate(courses_published(q=q), page, past_end="empty")
    body = result.as_dict()
    body["items"] = [_course_out(course) for course in result.items]
    return body


@router.post(
    "/learning/courses/{slug}/enrolments",
    response={201: EnrolmentOut},
    auth=BearerOrSession(),
    summary="Enrol in a course of an open programme",
)
def enrolment_create(request: HttpRequest, slug: str) -> tuple[int, dict[str, Any]]:
    enrolment = enrolments.enrolment_create(learner=request.user, course=course_get(slug))
    return 201, _enrolment_out(enrolment)


def _enrolment_out(enrolment: Any) -> dict[str, Any]:
    course = enrolment.course
    progress = progress_of(enrolment, course_items(course))
    return {
        "course": {"slug": course.slug, "title": course.title},
        "status": enrolment.status,
        "cohort": enrolment.cohort.name if enrolment.cohort else None,
        "steps_done": progress.steps_done,
        "steps_total": progress.steps_total,
        "percent": progress.percent,
        "next_step": progress.next_item.title if progress.next_item else None,
    }


@router.get(
    "/learning/me/enrolments",
    response={200: list[EnrolmentOut]},
    auth=BearerOrSession(),
    summary="The caller's courses and progress",
)
def my_enrolments(request: HttpRequest) -> list[dict[str, Any]]:
    dashboard = learner_dashboard(request.user)
    return [_enrolment_out(row.enrolment) for row in dashboard["rows"]]
