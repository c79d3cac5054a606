"""Absolute links that go into signed credentials and mails (they must not depend on a request).

The platform's public address comes from EWTP_SITE_URL (setting or environment variable);
without it, the development address.
"""

from __future__ import annotations

from ewtp.core import conf

DEFAULT_SITE_URL = "http://localhost:8000"


def site_url() -> str:
    configured = conf.SITE_URL()
    return (configured or DEFAULT_SITE_URL).rstrip("/")


def issuer_url() -> str:
    """The platform as a credential issuer; `#<key id>` names its signing key."""
    return f"{site_url()}/learn/issuer"


def certificate_verification_url(code: str) -> str:
    return f"{site_url()}/learn/certificates/{code}/"


def certificate_status_url(code: str) -> str:
    return f"{site_url()}/api/v1/certificates/{code}"
