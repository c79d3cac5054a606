"""Liveness and readiness for load balancers and orchestrators (no log-in, no session).

``/healthz/live``: the process answers (nothing else is touched, so a slow database never gets
a healthy server restarted). ``/healthz/ready``: the database answers, the cache stores and
reads back, and every migration is applied; a server that is not ready gets no traffic.
"""

from __future__ import annotations

import secrets

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

import ewtp

_migrations_applied = False  # once true, stays true for this process (a check costs ~50 ms)


def _database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure of the database means "unavailable"
        return "unavailable"
    return "ok"


def _cache() -> str:
    key = f"healthz:{secrets.token_hex(8)}"
    try:
        cache.set(key, "1", timeout=5)
        stored = cache.get(key)
        cache.delete(key)
    except Exception:  # any failure of the cache means "unavailable"
        return "unavailable"
    return "ok" if stored == "1" else "unavailable"


def pending_migrations() -> list[str]:
    """The migrations not applied to the default database, as ``app.name``."""
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    return [f"{m.app_label}.{m.name}" for m, _backwards in executor.migration_plan(targets)]


def _migrations() -> str:
    global _migrations_applied
    if _migrations_applied:
        return "ok"
    try:
        pending = pending_migrations()
    except Exception:  # an unreadable migration table is "unavailable"
        return "unavailable"
    if pending:
        return "pending"
    _migrations_applied = True
    return "ok"


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok", "version": ewtp.__version__})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database()}
    checks["cache"] = _cache()
    checks["migrations"] = _migrations() if checks["database"] == "ok" else "unavailable"
    ok = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if ok else "unavailable", **checks, "version": ewtp.__version__}
    return JsonResponse(body, status=200 if ok else 503)
