"""Certificates: the signed credential, issue and revocation."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ewtp.accounts.models import User
from ewtp.accounts.selectors import is_platform_operator
from ewtp.core import clock, signing
from ewtp.core.errors import (
    Conflict,
    InvalidRequest,
)
from ewtp.core.locks import lock_rows
from ewtp.learning import codes, credentials
from ewtp.learning.links import (
    certificate_status_url,
    certificate_verification_url,
    issuer_url,
    site_url,
)
from ewtp.learning.models import (
    Certificate,
    Cohort,
    Course,
    Programme,
)
from ewtp.learning.services.common import _audit, _require_user, require_manager

# -- certificates ---------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_credential(certificate: Certificate, holder_email: str) -> dict[str, Any]:
    """The signed OpenBadgeCredential of a certificate."""
    programme = certificate.programme
    course = certificate.course
    site = site_url()
    if course is not None:
        achievement_url = f"{site}/learn/courses/{course.slug}/"
        title = course.title
        description = course.summary or course.title
        narrative = "Completed every lesson of the course and passed every quiz at its pass mark."
    else:
        achievement_url = f"{site}/learn/programmes/{programme.slug}/"
        title = programme.title
        description = programme.summary or programme.title
        narrative = "Completed every course of the programme."
    valid_from = _iso(certificate.issued_at)
    issuer = {
        "id": issuer_url(),
        "type": ["Profile"],
        "name": "eWTP",
        "url": f"{site}/",
    }
    achievement = {
        "id": achievement_url,
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": title,
        "description": description,
        "criteria": {"id": achievement_url, "narrative": narrative},
        "creator": {
            "id": f"urn:uuid:{programme.provider.public_id}",
            "type": ["Profile"],
            "name": programme.provider.name,
        },
        "humanCode": certificate.code,
    }
    unsigned = credentials.open_badge_credential(
        credential_id=f"urn:uuid:{certificate.public_id}",
        issuer=issuer,
        valid_from=valid_from,
        name=f"{title}: certificate",
        description=f"Awarded to {certificate.holder_name} by {programme.provider.name} "
        f"for completing {title}.",
        achievement=achievement,
        recipient_email=holder_email,
        recipient_name=certificate.holder_name,
        salt=secrets.token_hex(8),
        status_url=certificate_status_url(certificate.code),
        evidence_url=certificate_verification_url(certificate.code),
    )
    key = signing.active_key()
    certificate.key_id = key.kid  # the certificate names the key that signed it
    return credentials.sign_credential(
        unsigned,
        sign=key.sign,
        verification_method=f"{issuer_url()}#{key.kid}",
        created=valid_from,
    )


def _new_code() -> str:
    for _attempt in range(10):
        code = codes.generate()
        if not Certificate.objects.filter(code=code).exists():
            return code
    raise Conflict("busy", _("Could not draw a free certificate code; try again."))


def _certificate_issue(
    *,
    holder: User,
    programme: Programme,
    course: Course | None,
    cohort: Cohort | None,
    now: datetime,
) -> Certificate:
    existing = Certificate.objects.filter(holder=holder, programme=programme, course=course).first()
    if existing is not None:
        return existing
    certificate = Certificate(
        code=_new_code(),
        holder=holder,
        holder_name=holder.full_name or holder.email,
        programme=programme,
        course=course,
        cohort=cohort,
        issued_at=now.replace(microsecond=0),
        key_id=signing.key_id(),
    )
    certificate.credential = build_credential(certificate, holder.email)
    certificate.save()
    _audit(holder, "learning.certificate.issued", certificate, programme, code=certificate.code)
    return certificate


@transaction.atomic
def certificate_revoke(*, actor: object, certificate: Certificate, reason: str) -> Certificate:
    """Revoke with a reason, shown on every verification; by the provider's managers or the
    platform operator. The signed document stays as it was: its status says revoked."""
    user = _require_user(actor)
    if not is_platform_operator(user):
        require_manager(user, certificate.programme)
    reason = reason.strip()
    if not reason:
        raise InvalidRequest(
            "reason_required",
            _("Say why the certificate is revoked."),
            fields={"reason": "required"},
        )
    locked = lock_rows(Certificate.objects.filter(pk=certificate.pk))[0]
    if locked.status == Certificate.Status.REVOKED:
        raise Conflict("already_revoked", _("This certificate is revoked already."))
    locked.status = Certificate.Status.REVOKED
    locked.revoked_at = clock.now()
    locked.revoked_by = user
    locked.revocation_reason = reason
    locked.save(update_fields=["status", "revoked_at", "revoked_by", "revocation_reason"])
    _audit(user, "learning.certificate.revoked", locked, locked.programme, reason=reason)
    return locked
