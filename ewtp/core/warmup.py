"""Work a server process does once before its first request: the URLs, the quote snapshot,
the validators' and the language negotiation's regular expressions.

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
    """The URLconf imported and the reverse tables built in every language, the root's and
    each namespace's: reverse() of a namespaced name (the payment's approval link, the
    booking's page) built its namespace's tables on a worker's first booking or checkout."""
    from django.conf import settings
    from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse
    from django.utils import translation

    def namespaces(resolver: URLResolver, path: str) -> list[str]:
        found = []
        for name, (_prefix, child) in resolver.namespace_dict.items():
            found += [path + name, *namespaces(child, path + name + ":")]
        return found

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports the URLconf: every view and API schema
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            resolver.reverse_dict  # noqa: B018 - the root's tables, built once per language
            for namespace in namespaces(resolver, ""):
                try:  # builds the namespace's tables, then finds no such name
                    reverse(f"{namespace}:-")
                except NoReverseMatch:
                    pass


def _patterns() -> None:
    """Regular expressions Django compiles on first use: the e-mail validator's domain pattern
    (about 50 ms, paid by a worker's first booking or checkout) and the Accept-Language
    parser's."""
    from django.core.validators import validate_email
    from django.http import HttpRequest
    from django.utils import translation

    validate_email("warm-up@example.org")
    request = HttpRequest()
    request.META["HTTP_ACCEPT_LANGUAGE"] = "fr-BE,fr;q=0.9,en;q=0.8"
    translation.get_language_from_request(request)


register("core.urls", _urls)
register("core.patterns", _patterns)


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
