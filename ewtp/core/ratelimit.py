"""Per-client request limits: a fixed one-minute window, counted per address and per account
(the logged-in user, or the e-mail a log-in names) in a store every worker and server shares:
Redis when REDIS_URL is set (the ``ratelimit`` cache), else the database (RateCounter).
EWTP_RATE_LIMITS=off disables them."""

from __future__ import annotations

import hashlib
import random
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ewtp.core import conf
from ewtp.core.errors import RateLimited

WINDOW_SECONDS = 60
_KEEP_SECONDS = 70  # a window's counter outlives it a little


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


def _account_of(request: HttpRequest, account: str) -> str:
    if account.strip():
        return account.strip().lower()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return ""


def _hit_redis(key: str) -> int:
    cache = caches["ratelimit"]
    if cache.add(key, 1, timeout=_KEEP_SECONDS):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=_KEEP_SECONDS)
        return 1


# One statement counts a hit: the window's row is created by the first hit and incremented by
# the others (PostgreSQL and SQLite both have INSERT ... ON CONFLICT ... RETURNING).
_UPSERT = """
INSERT INTO {table} ("key", "count", "expires_at") VALUES (%s, 1, %s)
ON CONFLICT ("key") DO UPDATE SET "count" = {table}."count" + 1
RETURNING "count"
"""


def _hit_database(key: str) -> int:
    from ewtp.core.models import RateCounter

    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT.format(table=RateCounter._meta.db_table),
            [key, now + timedelta(seconds=_KEEP_SECONDS)],
        )
        count = int(cursor.fetchone()[0])
    if count == 1 and random.random() < 0.02:  # now and then, drop the windows gone by
        RateCounter.objects.filter(expires_at__lt=now).delete()
    return count


def _hit(key: str) -> int:
    """One more request under ``key``; the count of this window so far."""
    if "ratelimit" in settings.CACHES:
        return _hit_redis(key)
    return _hit_database(key)


def rate_limit(request: HttpRequest, bucket: str, *, per_minute: int, account: str = "") -> None:
    """Count the request for its address and for its account (``account``, else the
    logged-in user) and refuse it (RateLimited, 429) once either is over ``per_minute``."""
    if not conf.RATE_LIMITS():
        return
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    subjects = [f"ip:{client_key(request)}"]
    who = _account_of(request, account)
    if who:
        subjects.append("account:" + hashlib.sha256(who.encode()).hexdigest()[:32])
    counts = [_hit(f"ratelimit:{bucket}:{subject}:{window}") for subject in subjects]
    if max(counts) > per_minute:
        raise RateLimited(
            "rate_limited",
            _("Too many requests; the limit is %(limit)s a minute.") % {"limit": per_minute},
            extra={"retry_after": WINDOW_SECONDS - int(now) % WINDOW_SECONDS},
        )
