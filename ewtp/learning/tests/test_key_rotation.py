"""A certificate signed before a key rotation still verifies, by the key it names."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from ewtp.core import signing
from ewtp.learning.credentials import verify_credential
from ewtp.learning.models import Certificate, Lesson, Quiz
from ewtp.learning.services import courses, enrolments
from ewtp.learning.tests import factories as f

pytestmark = pytest.mark.django_db


def _certificate(email: str) -> Certificate:
    trainer = f.user(f"trainer-{email}", "Trainer")
    programme = f.programme(f.provider(trainer), title="Sellers' academy")
    course = f.course(programme, lessons=1, title="Export readiness", slug=f"c-{email[:5]}")
    learner = f.user(email, "Aline Uwase")
    enrolments.enrolment_create(learner=learner, course=course)
    courses.lesson_complete(learner=learner, lesson=Lesson.objects.get(module__course=course))
    quiz = Quiz.objects.get(module__course=course)
    courses.quiz_submit(learner=learner, quiz=quiz, selected=f.quiz_answers(quiz))
    return Certificate.objects.get(holder__email=email)


def test_a_certificate_signed_before_a_rotation_stays_valid() -> None:
    before = _certificate("aline@example.org")
    old_kid = before.key_id
    assert before.credential["proof"]["verificationMethod"].endswith(f"#{old_kid}")
    call_command("keys", "rotate", stdout=StringIO())
    after = _certificate("bosco@example.org")
    assert after.key_id == signing.key_id() != old_kid

    body = Client().get(f"/api/v1/certificates/{before.code}").json()
    assert body["signature"]["key_id"] == old_kid
    assert body["signature"]["valid"] is True
    assert body["signature"]["public_key_multibase"] == signing.multibase(
        signing.public_key_for(old_kid) or b""
    )
    assert Client().get(f"/api/v1/certificates/{after.code}").json()["signature"]["valid"] is True

    # The issuer document lists both keys; each certificate verifies by the one it names.
    issuer = Client().get("/learn/issuer").json()
    methods = {method["id"]: method for method in issuer["verificationMethod"]}
    for certificate in (before, after):
        method = methods[certificate.credential["proof"]["verificationMethod"]]
        raw = signing.base58btc_decode(method["publicKeyMultibase"][1:])[2:]
        assert verify_credential(certificate.credential, raw)
    assert issuer["assertionMethod"][0].endswith(f"#{after.key_id}")
