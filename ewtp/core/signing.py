"""The platform's Ed25519 signing key: vouchers and certificates are signed with it.

The private key comes from EWTP_SIGNING_KEY (a PEM, or a path to one) or, in development,
from var/signing_key.pem (generated on first use, untracked). The public key is published at
/.well-known/ewtp-keys.json so that a gate app or a verifier checks signatures offline.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from ewtp.core import conf

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_MULTICODEC_ED25519_PUB = b"\xed\x01"


def _load_pem(text: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(text, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("EWTP_SIGNING_KEY must be an Ed25519 private key")
    return key


@cache
def private_key() -> Ed25519PrivateKey:
    configured = conf.SIGNING_KEY().strip()
    if configured:
        if configured.startswith("-----BEGIN"):
            return _load_pem(configured.encode())
        return _load_pem(Path(configured).read_bytes())
    path = Path(settings.VAR_DIR) / "signing_key.pem"
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.write_bytes(pem)
        path.chmod(0o600)
    return _load_pem(path.read_bytes())


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def public_key_bytes() -> bytes:
    return public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id() -> str:
    """A short, stable identifier of the current public key."""
    return hashlib.sha256(public_key_bytes()).hexdigest()[:16]


def sign(message: bytes) -> bytes:
    return private_key().sign(message)


def verify(message: bytes, signature: bytes, raw_public_key: bytes | None = None) -> bool:
    key = (
        Ed25519PublicKey.from_public_bytes(raw_public_key)
        if raw_public_key is not None
        else public_key()
    )
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def base58btc(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    encoded = ""
    while number:
        number, remainder = divmod(number, 58)
        encoded = _B58_ALPHABET[remainder] + encoded
    leading = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading + encoded


def base58btc_decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + _B58_ALPHABET.index(char)
    leading = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * leading + body


def public_key_multibase() -> str:
    """The public key as a Multikey `publicKeyMultibase` (z6Mk...)."""
    return "z" + base58btc(_MULTICODEC_ED25519_PUB + public_key_bytes())


def jwks() -> dict[str, list[dict[str, str]]]:
    """The public key as a JSON Web Key Set (OKP, Ed25519)."""
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": b64url(public_key_bytes()),
                "kid": key_id(),
                "use": "sig",
                "alg": "EdDSA",
                "publicKeyMultibase": public_key_multibase(),
            }
        ]
    }
