"""Per-client request limits (a fixed window in the cache); EWTP_RATE_LIMITS=off disables."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ewtp.core import conf
from ewtp.core.errors import RateLimited


def trusted_proxies() -> int:
    """How many reverse proxies in front of the platform append to X-Forwarded-For.

    0 (the default) trusts no header: the client is REMOTE_ADDR. Behind nginx, set
    EWTP_TRUSTED_PROXIES=1, or every visitor would share the proxy's address and its limits.
    """
    return conf.TRUSTED_PROXIES()


def client_key(request: HttpRequest) -> str:
    """The client's address: the one the nearest trusted proxy saw, else the socket's."""
    proxies = trusted_proxies()
    if proxies:
        hops = [
            hop.strip()
            for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if hop.strip()
        ]
        if len(hops) >= proxies:
            # Each trusted proxy appended the address it saw; entries before them are the
            # client's to invent, so take the one the outermost trusted proxy recorded.
            return str(hops[-proxies])
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def rate_limit(request: HttpRequest, bucket: str, *, per_minute: int) -> None:
    if not conf.RATE_LIMITS():
        return
    window = int(time.time() // 60)
    key = f"ratelimit:{bucket}:{client_key(request)}:{window}"
    if cache.add(key, 1, timeout=70):
        return
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=70)
        return
    if count > per_minute:
        raise RateLimited(
            "rate_limited",
            _("Too many requests; the limit is %(limit)s a minute.") % {"limit": per_minute},
            extra={"retry_after": 60 - int(time.time()) % 60},
        )
