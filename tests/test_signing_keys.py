"""The platform publishes its Ed25519 public key so vouchers and certificates verify offline."""

from __future__ import annotations

from django.test import Client

from ewtp.core import signing


def test_the_published_key_verifies_a_platform_signature() -> None:
    response = Client().get("/.well-known/ewtp-keys.json")
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert key["kty"] == "OKP"
    assert key["crv"] == "Ed25519"
    assert key["kid"] == signing.key_id()
    assert key["publicKeyMultibase"].startswith("z6Mk")
    raw = signing.b64url_decode(key["x"])
    signature = signing.sign(b"voucher payload")
    assert signing.verify(b"voucher payload", signature, raw) is True
    assert signing.verify(b"voucher payloaD", signature, raw) is False
    assert signing.base58btc_decode(key["publicKeyMultibase"][1:])[2:] == raw
