"""Work a server process does once before its first request: the URLs, the quote snapshot.

A new gunicorn worker built its caches on its first requests: the first request imported the
URLconf (every app's views and API schemas), the first checkout built the quote snapshot from
the published rules (seconds on a busy machine), and every request queued behind them in that
worker waited as long. ``config/gunicorn.py`` runs these steps in each worker before it
accepts a request (``post_worker_init``). Apps register theirs in AppConfig.ready().
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

_STEPS: dict[str, Callable[[], object]] = {}


def register(name: str, step: Callable[[], object]) -> None:
    """A step that fills a per-process cache; it must be safe to run at any time."""
    _STEPS[name] = step


def _urls() -> None:
    from django.urls import get_resolver

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports the URLconf: every view and API schema
    resolver.reverse_dict  # noqa: B018 - the reverse tables, built once per language


register("core.urls", _urls)


def run() -> dict[str, float]:
    """Run every step (URLs first); a step that fails is logged and skipped, so that a worker
    still starts when, say, the database is briefly away. Returns the milliseconds by step."""
    took: dict[str, float] = {}
    for name in ["core.urls", *sorted(set(_STEPS) - {"core.urls"})]:
        started = time.perf_counter()
        try:
            _STEPS[name]()
        except Exception:  # a cold cache is slower, not wrong: the request fills it
            logger.warning(
                "warm-up step %s failed; its cache fills on first use", name, exc_info=True
            )
        took[name] = round((time.perf_counter() - started) * 1000, 1)
    logger.info("warmed up: %s", took)
    return took
