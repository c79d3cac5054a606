"""The platform's Ed25519 signing keys: vouchers and certificates are signed with them.

Every key has an id (``kid``, the first 16 hex digits of the SHA-256 of its public key). The
key set lives in the database (:class:`ewtp.core.models.SigningKey`), shared by every server:

- ``EWTP_SIGNING_KEY`` empty or ``database``: the active key is held in the database, created
  once at first use (a unique constraint lets exactly one concurrent creator win) and replaced by
  ``ewtp keys rotate``; a retired key loses its private part and keeps its public one.
- ``EWTP_SIGNING_KEY`` a PEM, or a path to one: that key signs; its public part is recorded in
  the database so that it stays published after the operator replaces it.

A public server (DEBUG off, EWTP_HTTPS on) requires EWTP_SIGNING_KEY to be set (a key, or
``database`` to hold the keys in the database deliberately): see :func:`configuration_problem`.
The public keys, retired ones included, are published at /.well-known/ewtp-keys.json so that a
gate app or a verifier checks a signature offline, picking the key by the id it names.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction

from ewtp.core import clock, conf

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_MULTICODEC_ED25519_PUB = b"\xed\x01"
DATABASE = "database"
JWKS_CACHE_KEY = "ewtp:signing:jwks"
JWKS_CACHE_SECONDS = 60


class SigningKeyError(Exception):
    """The signing key is misconfigured, or cannot be rotated the way it is given."""


def _load_pem(text: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(text, password=None)
    except ValueError as error:
        raise SigningKeyError(f"EWTP_SIGNING_KEY is not a PEM private key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError("EWTP_SIGNING_KEY must be an Ed25519 private key")
    return key


def _pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def kid_of(raw_public_key: bytes) -> str:
    """The id of a public key: a short, stable digest of it."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def generate_pem() -> str:
    """A new Ed25519 private key as a PEM (what `ewtp keys generate` prints)."""
    return _pem(Ed25519PrivateKey.generate())


@dataclass(frozen=True, slots=True)
class ActiveKey:
    """The key that signs now: sign with it and name its ``kid`` in what is signed."""

    kid: str
    private: Ed25519PrivateKey

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    @property
    def public_bytes(self) -> bytes:
        return _raw_public(self.private)


# -- Where the key comes from --------------------------------------------------------------


def configured_mode() -> str:
    """``""`` (nothing said), ``database``, or ``configured`` (a PEM or a file)."""
    value = conf.SIGNING_KEY().strip()
    if not value:
        return ""
    return DATABASE if value.lower() == DATABASE else "configured"


def _configured_key() -> Ed25519PrivateKey:
    value = conf.SIGNING_KEY().strip()
    if value.startswith("-----BEGIN"):
        return _load_pem(value.encode())
    path = Path(value)
    if not path.is_file():
        raise SigningKeyError(f"EWTP_SIGNING_KEY names no file: {path}")
    return _load_pem(path.read_bytes())


def is_public_server() -> bool:
    """DEBUG off and EWTP_HTTPS on: a server for the public, which must be configured."""
    return not settings.DEBUG and bool(conf.HTTPS())


def configuration_problem() -> str | None:
    """Why a public server must not start with this key configuration, or None."""
    if not is_public_server():
        return None
    if not configured_mode():
        return (
            "EWTP_SIGNING_KEY is not set. A public server (DEBUG off, EWTP_HTTPS on) signs "
            "vouchers and certificates with a key you keep: set EWTP_SIGNING_KEY to an Ed25519 "
            "PEM or a path to one (`ewtp keys generate` makes one), or to `database` to hold "
            "the key set in the database (rotated with `ewtp keys rotate`)."
        )
    if configured_mode() == "configured":
        try:
            _configured_key()
        except SigningKeyError as error:
            return str(error)
    return None


# -- The key set in the database -----------------------------------------------------------


def _record_configured(key: Ed25519PrivateKey) -> str:
    """Record a configured key's public part (once; concurrent servers may race)."""
    from ewtp.core.models import SigningKey

    raw = _raw_public(key)
    kid = kid_of(raw)
    if not SigningKey.objects.filter(kid=kid).exists():
        try:
            with transaction.atomic():
                SigningKey.objects.create(
                    kid=kid,
                    public_key=b64url(raw),
                    source=SigningKey.Source.CONFIGURED,
                    created_at=clock.now(),
                )
        except IntegrityError:
            pass  # another server recorded it first
        cache.delete(JWKS_CACHE_KEY)
    return kid


def _first_database_key() -> Ed25519PrivateKey:
    """The first key of a database key set: the development key an older version kept in
    var/signing_key.pem (so that what it signed keeps verifying), else a new one."""
    legacy = Path(settings.VAR_DIR) / "signing_key.pem"
    if legacy.is_file():
        try:
            return _load_pem(legacy.read_bytes())
        except SigningKeyError:
            pass
    return Ed25519PrivateKey.generate()


def _active_database_key() -> ActiveKey:
    from ewtp.core.models import SigningKey

    row = SigningKey.objects.filter(active=True).first()
    if row is None:
        first = not SigningKey.objects.exists()
        private = _first_database_key() if first else Ed25519PrivateKey.generate()
        raw = _raw_public(private)
        try:
            # The partial unique constraint admits one active key: of servers creating it
            # at the same first use, one wins and the others read its key.
            with transaction.atomic():
                row = SigningKey.objects.create(
                    kid=kid_of(raw),
                    public_key=b64url(raw),
                    private_pem=_pem(private),
                    source=SigningKey.Source.DATABASE,
                    active=True,
                    created_at=clock.now(),
                )
        except IntegrityError:
            row = SigningKey.objects.get(active=True)
    if not row.private_pem:
        raise SigningKeyError(f"the active signing key {row.kid} has no private part")
    return ActiveKey(kid=row.kid, private=_load_pem(row.private_pem.encode()))


def active_key() -> ActiveKey:
    """The key that signs now (the configured one, else the database's active key)."""
    if configured_mode() == "configured":
        key = _configured_key()
        return ActiveKey(kid=_record_configured(key), private=key)
    return _active_database_key()


@transaction.atomic
def rotate() -> tuple[str | None, str]:
    """Make a new database key the active one; the one it replaces is retired (its public
    part stays published, its private part is dropped). Returns (retired kid, new kid)."""
    from ewtp.core.models import SigningKey

    if configured_mode() == "configured":
        raise SigningKeyError(
            "EWTP_SIGNING_KEY gives the key: put a new key there (`ewtp keys generate`) and "
            "restart; the key it replaces stays published, since its public part is recorded."
        )
    previous = SigningKey.objects.select_for_update().filter(active=True).first()
    if previous is None:
        # Nothing signs yet: the first key is created the ordinary way, then replaced.
        _active_database_key()
        previous = SigningKey.objects.select_for_update().get(active=True)
    SigningKey.objects.filter(pk=previous.pk).update(
        active=False, retired_at=clock.now(), private_pem=""
    )
    private = Ed25519PrivateKey.generate()
    raw = _raw_public(private)
    row = SigningKey.objects.create(
        kid=kid_of(raw),
        public_key=b64url(raw),
        private_pem=_pem(private),
        source=SigningKey.Source.DATABASE,
        active=True,
        created_at=clock.now(),
    )
    cache.delete(JWKS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(JWKS_CACHE_KEY))
    return previous.kid, row.kid


_PUBLIC_BY_KID: dict[str, bytes] = {}


def public_key_for(kid: str) -> bytes | None:
    """The raw public key of the key named ``kid`` (active or retired), or None if unknown."""
    from ewtp.core.models import SigningKey

    if kid in _PUBLIC_BY_KID:
        return _PUBLIC_BY_KID[kid]
    if configured_mode() == "configured":
        key = _configured_key()
        if kid_of(_raw_public(key)) == kid:
            return _raw_public(key)
    row = SigningKey.objects.filter(kid=kid).first()
    if row is None:
        return None
    raw = b64url_decode(row.public_key)
    if kid_of(raw) == kid:  # a kid is a digest of its key: the cache can never go stale
        _PUBLIC_BY_KID[kid] = raw
    return raw


# -- Signing and verifying -----------------------------------------------------------------


def key_id() -> str:
    """The id of the key that signs now."""
    return active_key().kid


def public_key_bytes(kid: str | None = None) -> bytes:
    """The raw public key named ``kid`` (default: the active one)."""
    if kid is None:
        return active_key().public_bytes
    raw = public_key_for(kid)
    if raw is None:
        raise SigningKeyError(f"no signing key has the id {kid}")
    return raw


def sign(message: bytes) -> bytes:
    return active_key().sign(message)


def verify(
    message: bytes,
    signature: bytes,
    raw_public_key: bytes | None = None,
    *,
    kid: str | None = None,
) -> bool:
    """Whether ``signature`` is the signature of ``message`` by the key given (raw bytes),
    else the key named ``kid``, else the active key. An unknown kid verifies nothing."""
    if raw_public_key is None:
        raw_public_key = public_key_for(kid) if kid is not None else active_key().public_bytes
        if raw_public_key is None:
            return False
    try:
        Ed25519PublicKey.from_public_bytes(raw_public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
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


def multibase(raw_public_key: bytes) -> str:
    """A public key as a Multikey `publicKeyMultibase` (z6Mk...)."""
    return "z" + base58btc(_MULTICODEC_ED25519_PUB + raw_public_key)


def public_key_multibase(kid: str | None = None) -> str:
    """The key named ``kid`` (default: the active one) as a Multikey."""
    return multibase(public_key_bytes(kid))


def _jwk(kid: str, raw: bytes, *, active: bool) -> dict[str, str]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url(raw),
        "kid": kid,
        "use": "sig",
        "alg": "EdDSA",
        "publicKeyMultibase": multibase(raw),
        "status": "active" if active else "retired",
    }


def published_keys() -> list[tuple[str, bytes, bool]]:
    """Every key of the set as (kid, raw public key, active), the active key first."""
    from ewtp.core.models import SigningKey

    active = active_key().kid
    rows = [(row.kid, b64url_decode(row.public_key)) for row in SigningKey.objects.all()]
    keys = [(kid, raw, kid == active) for kid, raw in rows]
    keys.sort(key=lambda key: not key[2])
    return keys


def jwks() -> dict[str, list[dict[str, str]]]:
    """The key set as a JSON Web Key Set (OKP, Ed25519): the active key first, then every
    retired one, so that what they signed still verifies offline. Kept a minute in the cache
    (dropped at a rotation here; another server's rotation shows within the minute)."""
    cached = cache.get(JWKS_CACHE_KEY)
    if isinstance(cached, dict):
        return cached
    key_set = {"keys": [_jwk(kid, raw, active=active) for kid, raw, active in published_keys()]}
    cache.set(JWKS_CACHE_KEY, key_set, JWKS_CACHE_SECONDS)
    return key_set
