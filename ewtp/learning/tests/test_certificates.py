"""Certificates: issued on completion, verified by anyone (page, API, signed JSON, PDF),
revoked with a reason; forged codes fail; export readiness shows for the seller."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from pypdf import PdfReader

from ewtp.accounts.models import Organisation
from ewtp.core import signing
from ewtp.core.errors import DomainError, PermissionDenied
from ewtp.core.models import AuditLog
from ewtp.learning import codes
from ewtp.learning.credentials import verify_credential
from ewtp.learning.models import Certificate, Lesson, Quiz
from ewtp.learning.selectors.certificates import export_ready_organisation_ids
from ewtp.learning.services import certificates, courses, enrolments
from ewtp.learning.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate() -> Certificate:
    trainer = f.user("trainer@example.org", "Trainer")
    provider = f.provider(trainer)
    programme = f.programme(provider, title="Sellers' academy")
    course = f.course(
        programme,
        lessons=1,
        title="Export readiness",
        slug="export-readiness",
        marks_export_ready=True,
    )
    learner = f.user("aline@example.org", "Aline Uwase")
    enrolments.enrolment_create(learner=learner, course=course)
    courses.lesson_complete(learner=learner, lesson=Lesson.objects.get(module__course=course))
    quiz = Quiz.objects.get(module__course=course)
    courses.quiz_submit(learner=learner, quiz=quiz, selected=f.quiz_answers(quiz))
    return Certificate.objects.get()


def _forged(code: str) -> str:
    """The same code with its check character wrong."""
    wrong = codes.ALPHABET[(codes.ALPHABET.index(code[-1]) + 1) % len(codes.ALPHABET)]
    return code[:-1] + wrong


def test_the_issued_certificate_carries_a_valid_code_and_signed_credential(certificate) -> None:  # type: ignore[no-untyped-def]
    assert codes.is_well_formed(certificate.code)
    assert certificate.key_id == signing.key_id()
    document = certificate.credential
    assert document["id"] == f"urn:uuid:{certificate.public_id}"
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["credentialSubject"]["achievement"]["name"] == "Export readiness"
    assert document["credentialSubject"]["identifier"][1]["identityHash"] == "Aline Uwase"
    assert document["credentialStatus"]["id"].endswith(f"/api/v1/certificates/{certificate.code}")
    assert document["proof"]["verificationMethod"].endswith(f"/learn/issuer#{signing.key_id()}")
    assert AuditLog.objects.filter(action="learning.certificate.issued").count() == 1


def test_the_signed_json_verifies_with_the_public_key_alone_and_fails_when_one_byte_changes(
    certificate,
) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(f"/learn/certificates/{certificate.code}/credential.json")
    assert response.status_code == 200
    raw = response.content
    public_key = signing.public_key_bytes()
    assert verify_credential(json.loads(raw), public_key)
    at = raw.index(b"Aline Uwase")
    changed = raw[:at] + b"B" + raw[at + 1 :]
    assert not verify_credential(json.loads(changed), public_key)


def test_the_api_verifies_a_valid_certificate(certificate) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(f"/api/v1/certificates/{certificate.code}")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == certificate.code
    assert body["status"] == "valid"
    assert body["holder"] == "Aline Uwase"
    assert body["programme"] == {"slug": certificate.programme.slug, "title": "Sellers' academy"}
    assert body["course"] == {"slug": "export-readiness", "title": "Export readiness"}
    assert body["issued_on"] == certificate.issued_at.date().isoformat()
    assert body["revoked_at"] is None and body["revocation_reason"] is None
    assert body["signature"]["valid"] is True
    assert body["signature"]["cryptosuite"] == "eddsa-jcs-2022"
    assert body["signature"]["public_key_multibase"] == signing.public_key_multibase()
    # Typed the way people type it: lower case with a hyphen.
    typed = codes.display(certificate.code).lower()
    assert Client().get(f"/api/v1/certificates/{typed}").json()["code"] == certificate.code


def test_a_revoked_certificate_says_so_with_its_reason(certificate) -> None:  # type: ignore[no-untyped-def]
    trainer = certificate.programme.provider.memberships.get().user
    with pytest.raises(PermissionDenied):
        certificates.certificate_revoke(
            actor=certificate.holder, certificate=certificate, reason="x"
        )
    with pytest.raises(DomainError) as no_reason:
        certificates.certificate_revoke(actor=trainer, certificate=certificate, reason=" ")
    assert no_reason.value.code == "reason_required"
    certificates.certificate_revoke(
        actor=trainer, certificate=certificate, reason="Quiz answers were shared."
    )
    body = Client().get(f"/api/v1/certificates/{certificate.code}").json()
    assert body["status"] == "revoked"
    assert body["revocation_reason"] == "Quiz answers were shared."
    assert body["revoked_at"] is not None
    page = Client().get(f"/learn/certificates/{certificate.code}/")
    assert page.status_code == 200
    assert "Revoked" in page.content.decode()
    assert "Quiz answers were shared." in page.content.decode()
    with pytest.raises(DomainError) as twice:
        certificates.certificate_revoke(actor=trainer, certificate=certificate, reason="again")
    assert twice.value.code == "already_revoked"


def test_a_forged_or_unknown_code_does_not_verify(certificate) -> None:  # type: ignore[no-untyped-def]
    forged = Client().get(f"/api/v1/certificates/{_forged(certificate.code)}")
    assert forged.status_code == 404
    assert forged.json()["code"] == "certificate_code_invalid"
    body = "ABCDEFGHJK"
    unknown = Client().get(f"/api/v1/certificates/{body + codes.check_character(body)}")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    page = Client().get(f"/learn/certificates/{_forged(certificate.code)}/")
    assert page.status_code == 404
    assert "check character" in page.content.decode()


def test_the_public_page_shows_the_holder_and_a_qr_link(certificate) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(f"/learn/certificates/{certificate.code}/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Aline Uwase" in text and "Valid certificate" in text
    assert f'href="http://testserver/learn/certificates/{certificate.code}/"' in text
    assert "<svg" in text


def test_the_pdf_renders_with_the_holder_and_the_code(certificate) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(f"/learn/certificates/{certificate.code}/certificate.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Aline Uwase" in text
    assert certificate.code in text
    assert "Export readiness" in text


def test_the_issuer_document_publishes_the_key(certificate) -> None:  # type: ignore[no-untyped-def]
    body = Client().get("/learn/issuer").json()
    method = body["verificationMethod"][0]
    assert method["id"] == certificate.credential["proof"]["verificationMethod"]
    assert method["publicKeyMultibase"] == signing.public_key_multibase()
    assert body["assertionMethod"] == [method["id"]]


def test_export_ready_sellers(certificate) -> None:  # type: ignore[no-untyped-def]
    seller = f.organisation(Organisation.Kind.SELLER, "huye", certificate.holder)
    f.organisation(Organisation.Kind.TOUR_OPERATOR, "tours", certificate.holder)
    f.organisation(Organisation.Kind.SELLER, "others", f.user())
    assert export_ready_organisation_ids() == {seller.pk}
    trainer = certificate.programme.provider.memberships.get().user
    certificates.certificate_revoke(actor=trainer, certificate=certificate, reason="Cheating")
    assert export_ready_organisation_ids() == set()
