"""Certificates: lookup by code, signature check, verification; the export-ready badge."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from ewtp.accounts.models import Membership, Organisation
from ewtp.accounts.selectors import is_platform_operator
from ewtp.core import signing
from ewtp.core.errors import NotFound
from ewtp.learning import codes, credentials
from ewtp.learning.links import certificate_verification_url, site_url
from ewtp.learning.models import (
    Certificate,
    Enrolment,
)
from ewtp.learning.selectors.courses import can_manage

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
