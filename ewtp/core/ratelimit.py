"""Per-client request limits (a fixed window in the cache); EWTP_RATE_LIMITS=off disables."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from ewtp.core.errors import RateLimited


def client_key(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def rate_limit(request: HttpRequest, bucket: str, *, per_minute: int) -> None:
    if not settings.EWTP_RATE_LIMITS:
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
            f"Too many requests; the limit is {per_minute} a minute.",
            extra={"retry_after": 60 - int(time.time()) % 60},
        )
