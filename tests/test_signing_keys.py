"""The platform's signing keys: ids, one key set shared by every server (created once, even
at a concurrent first use), rotation that keeps retired public keys published, and a key
given through EWTP_SIGNING_KEY."""

from __future__ import annotations

import json
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from ewtp.core import signing
from ewtp.core.models import SigningKey

pytestmark = pytest.mark.django_db


def test_the_published_key_verifies_a_platform_signature() -> None:
    response = Client().get("/.well-known/ewtp-keys.json")
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert key["kty"] == "OKP"
    assert key["crv"] == "Ed25519"
    assert key["kid"] == signing.key_id()
    assert key["publicKeyMultibase"].startswith("z6Mk")
    raw = signing.b64url_decode(key["x"])
    assert key["kid"] == signing.kid_of(raw)
    signature = signing.sign(b"voucher payload")
    assert signing.verify(b"voucher payload", signature, raw) is True
    assert signing.verify(b"voucher payloaD", signature, raw) is False
    assert signing.base58btc_decode(key["publicKeyMultibase"][1:])[2:] == raw


def test_rotation_keeps_the_retired_key_published_and_verifying() -> None:
    old_kid = signing.key_id()
    old_signature = signing.sign(b"signed before the rotation")
    out = StringIO()
    call_command("keys", "rotate", stdout=out)
    answer = json.loads(out.getvalue())
    assert answer["retired"] == old_kid
    new_kid = signing.key_id()
    assert answer["active"] == new_kid != old_kid

    published = Client().get("/.well-known/ewtp-keys.json").json()["keys"]
    assert [(key["kid"], key["status"]) for key in published] == [
        (new_kid, "active"),
        (old_kid, "retired"),
    ]
    old_public = signing.b64url_decode(published[1]["x"])
    assert signing.verify(b"signed before the rotation", old_signature, old_public)
    assert signing.verify(b"signed before the rotation", old_signature, kid=old_kid)
    assert not signing.verify(b"signed before the rotation", old_signature, kid=new_kid)
    assert not signing.verify(b"signed before the rotation", old_signature, kid="unknown")
    # The retired key can no longer sign: its private part is gone from the database.
    assert SigningKey.objects.get(kid=old_kid).private_pem == ""
    assert SigningKey.objects.filter(active=True).count() == 1


def test_a_configured_key_signs_and_stays_published_once_replaced(settings, tmp_path) -> None:
    first, second = signing.generate_pem(), signing.generate_pem()
    settings.EWTP_SIGNING_KEY = first  # a PEM in the environment
    first_kid = signing.key_id()
    signature = signing.sign(b"hello")
    path = tmp_path / "signing.pem"
    path.write_text(second)
    settings.EWTP_SIGNING_KEY = str(path)  # a file
    second_kid = signing.key_id()
    assert second_kid != first_kid
    kids = [key["kid"] for key in signing.jwks()["keys"]]
    assert kids == [second_kid, first_kid]
    assert signing.verify(b"hello", signature, kid=first_kid)
    # Nothing of a configured key's private part is written to the database.
    assert set(SigningKey.objects.values_list("private_pem", flat=True)) == {""}
    with pytest.raises(CommandError, match="EWTP_SIGNING_KEY gives the key"):
        call_command("keys", "rotate", stdout=StringIO())


def test_a_public_server_requires_a_signing_key(settings) -> None:
    settings.DEBUG = False
    settings.EWTP_HTTPS = True
    settings.EWTP_SIGNING_KEY = ""
    assert "EWTP_SIGNING_KEY is not set" in (signing.configuration_problem() or "")
    settings.EWTP_SIGNING_KEY = "/nowhere/key.pem"
    assert signing.configuration_problem() == "EWTP_SIGNING_KEY names no file: /nowhere/key.pem"
    settings.EWTP_SIGNING_KEY = "database"
    assert signing.configuration_problem() is None
    settings.EWTP_SIGNING_KEY = signing.generate_pem()
    assert signing.configuration_problem() is None
    settings.EWTP_HTTPS = False  # a plain-HTTP server on a private network (make run, tests)
    settings.EWTP_SIGNING_KEY = ""
    assert signing.configuration_problem() is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_servers_using_the_key_for_the_first_time_at_once_share_one_key() -> None:
    kids: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def first_use() -> None:
        try:
            barrier.wait()
            kids.append(signing.key_id())
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    for _round in range(5):
        SigningKey.objects.all().delete()
        kids.clear()
        threads = [threading.Thread(target=first_use) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(kids) == 8
        assert len(set(kids)) == 1, kids
        assert SigningKey.objects.count() == 1


def test_the_key_set_is_cached_briefly_and_open_to_every_origin() -> None:
    response = Client().get("/.well-known/ewtp-keys.json")
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"
