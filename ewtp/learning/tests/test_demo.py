"""The learning demo loads on top of the base demo, twice without change."""

from __future__ import annotations

import io

import pytest
from django.apps import apps

from ewtp.accounts.models import Organisation
from ewtp.core import signing
from ewtp.learning import demo
from ewtp.learning.credentials import verify_credential
from ewtp.learning.models import Application, Certificate, ReviewAssignment
from ewtp.learning.selectors.certificates import export_ready_organisation_ids
from ewtp.learning.tests import factories as f


def _base_demo() -> None:
    """The users the lead's base demo makes that the learning demo uses (imported from
    nowhere: domain apps do not import the web layer)."""
    for email, _age, _stage, _sector, _staff, _business in demo.APPLICANTS:
        slug = "huye-coffee" if email.startswith("seller@") else email.split("@")[0]
        f.organisation(Organisation.Kind.SELLER, slug, f.user(email))
    for email in demo.REVIEWERS[1:]:
        f.user(email)


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_app_config("learning").get_models()
    }


@pytest.mark.django_db
def test_the_demo_loads_once_and_makes_sense() -> None:
    _base_demo()
    out = io.StringIO()
    demo.load(out)
    counts = _counts()
    demo.load(io.StringIO())
    assert _counts() == counts
    assert "learning: 3 programmes" in out.getvalue()
    assert Application.objects.count() == 5
    assert ReviewAssignment.objects.count() == 10
    assert ReviewAssignment.objects.filter(submitted_at__isnull=False).count() == 6
    certificate = Certificate.objects.get()
    assert certificate.holder.email == "seller@demo.ewtp.rw"
    assert verify_credential(certificate.credential, signing.public_key_bytes())
    huye = Organisation.objects.get(slug="huye-coffee")
    assert export_ready_organisation_ids() == {huye.pk}
