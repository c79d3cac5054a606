"""Signed vouchers: a compact token a gate can verify offline, and its QR code.

The token is ``b64url(JSON payload) + "." + b64url(Ed25519 signature over the first part)``,
signed with the platform key. A gate verifies it with nothing but the public key published at
/.well-known/ewtp-keys.json (``verify_with_jwks``); the server checks the same signature and
then the booking's state (used, cancelled, another date).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ewtp.core import signing

VOUCHER_TYPE = "ewtp.voucher.v1"


class VoucherInvalid(Exception):
    """Not a voucher signed by a known key (forged, altered or garbled)."""


@dataclass(frozen=True)
class VoucherPayload:
    booking: str
    experience: str
    visit_on: date
    visitors: int
    names: list[str]
    kid: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "typ": VOUCHER_TYPE,
            "booking": self.booking,
            "experience": self.experience,
            "date": self.visit_on.isoformat(),
            "visitors": self.visitors,
            "names": self.names,
            "kid": self.kid,
        }


def _b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise VoucherInvalid("not base64url") from None


def token_issue(payload: VoucherPayload) -> str:
    """Sign a payload with the platform's active key, which the payload names (kid)."""
    key = signing.active_key()
    payload = replace(payload, kid=key.kid)
    encoded = json.dumps(payload.as_dict(), separators=(",", ":"), sort_keys=True).encode()
    message = signing.b64url(encoded)
    return f"{message}.{signing.b64url(key.sign(message.encode()))}"


def _parse(token: str) -> tuple[bytes, bytes, dict[str, Any]]:
    parts = token.strip().split(".")
    if len(parts) != 2 or not all(parts):
        raise VoucherInvalid("a voucher has two parts")
    message, signature = parts[0].encode(), _b64url_decode(parts[1])
    try:
        data = json.loads(_b64url_decode(parts[0]))
    except ValueError:
        raise VoucherInvalid("the payload is not JSON") from None
    if not isinstance(data, dict) or data.get("typ") != VOUCHER_TYPE:
        raise VoucherInvalid("not an eWTP voucher")
    return message, signature, data


def _payload(data: dict[str, Any]) -> VoucherPayload:
    try:
        return VoucherPayload(
            booking=str(data["booking"]),
            experience=str(data["experience"]),
            visit_on=date.fromisoformat(str(data["date"])),
            visitors=int(data["visitors"]),
            names=[str(name) for name in data["names"]],
            kid=str(data.get("kid", "")),
        )
    except (KeyError, TypeError, ValueError):
        raise VoucherInvalid("the payload misses fields") from None


def token_verify(token: str, raw_public_key: bytes | None = None) -> VoucherPayload:
    """The payload of a voucher signed by the platform key it names (active or retired), or
    by the key given; else raise."""
    message, signature, data = _parse(token)
    kid = str(data.get("kid", ""))
    if not signing.verify(message, signature, raw_public_key=raw_public_key, kid=kid):
        raise VoucherInvalid("the signature does not match")
    return _payload(data)


def verify_with_jwks(token: str, jwks: dict[str, Any]) -> VoucherPayload:
    """Offline check, as a gate app does it: only the published key set, no platform call."""
    message, signature, data = _parse(token)
    keys = [key for key in jwks.get("keys", []) if key.get("crv") == "Ed25519"]
    wanted = str(data.get("kid", ""))
    keys.sort(key=lambda key: key.get("kid") != wanted)  # the named key first
    for key in keys:
        try:
            public = Ed25519PublicKey.from_public_bytes(_b64url_decode(str(key["x"])))
            public.verify(signature, message)
        except (InvalidSignature, ValueError, KeyError):
            continue
        return _payload(data)
    raise VoucherInvalid("no published key matches the signature")


def qr_svg(token: str) -> str:
    """The token as an inline SVG QR code (for pages)."""
    return str(segno.make(token, error="m").svg_inline(scale=3, border=2))


def qr_png_data_uri(token: str) -> str:
    """The token as a PNG data URI QR code (for the PDF)."""
    return str(segno.make(token, error="m").png_data_uri(scale=4, border=2))
