"""HMAC-SHA256 webhook signatures with a timestamp: `t=<unix seconds>,v1=<hex digest>`.

The digest signs `<t>.<raw body>`, so a replayed body with a new timestamp fails, and an old
timestamp is refused outside the tolerance window.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings

from ewtp.core import conf

SIGNATURE_HEADER = "Sandbox-Signature"
TOLERANCE_SECONDS = 300


def webhook_secret() -> bytes:
    configured = conf.SANDBOX_WEBHOOK_SECRET()
    if configured:
        return str(configured).encode()
    return hashlib.sha256(b"sandbox-webhook:" + settings.SECRET_KEY.encode()).digest()


def sign(body: bytes, *, timestamp: int | None = None, secret: bytes | None = None) -> str:
    moment = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret or webhook_secret(), f"{moment}.".encode() + body, hashlib.sha256)
    return f"t={moment},v1={digest.hexdigest()}"


def verify(body: bytes, header: str, *, now: float | None = None) -> str | None:
    """None when the signature holds; otherwise the reason it does not."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        moment = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return "malformed signature header"
    current = time.time() if now is None else now
    if abs(current - moment) > TOLERANCE_SECONDS:
        return "timestamp outside the tolerance window"
    expected = sign(body, timestamp=moment).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        return "signature does not match"
    return None
