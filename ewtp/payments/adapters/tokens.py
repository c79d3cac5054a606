"""Access tokens kept until shortly before they expire (one per provider product and user)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

_LOCK = threading.Lock()
_CACHE: dict[tuple[str, ...], tuple[str, float]] = {}


def cached(key: tuple[str, ...], fetch: Callable[[], tuple[str, float]]) -> str:
    """The token for ``key``; ``fetch`` returns (token, lifetime in seconds) when it is due.

    A token is renewed when a sixth of its life (at most ten minutes) is left."""
    now = time.monotonic()
    with _LOCK:
        held = _CACHE.get(key)
    if held is not None and held[1] > now:
        return held[0]
    token, lifetime = fetch()
    margin = min(600.0, lifetime / 6)
    with _LOCK:
        _CACHE[key] = (token, now + max(lifetime - margin, 1.0))
    return token


def forget(key: tuple[str, ...]) -> None:
    """Drop a token the provider refused (rotated keys, revoked token)."""
    with _LOCK:
        _CACHE.pop(key, None)


def forget_all() -> None:
    with _LOCK:
        _CACHE.clear()
