"""Reads of the insights pages go to the read replica (when one is configured).

A GET of a page named in ``settings.REPLICA_READ_VIEWS`` runs with :func:`reading_replica`
active; the database router (``config/dbrouter.py``) then sends that request's reads of
domain tables to the ``replica`` alias. Sessions and accounts are always read from the
primary, so a fresh log-in never meets a replica that lags behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
_reading_replica: ContextVar[bool] = ContextVar("ewtp_reading_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_wanted() -> bool:
    return _reading_replica.get()


@contextmanager
def reading_replica() -> Iterator[None]:
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


class ReplicaReadsMiddleware:
    """Marks a safe request for a page of ``REPLICA_READ_VIEWS`` as one that reads the replica."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            token = getattr(request, "_replica_token", None)
            if token is not None:
                _reading_replica.reset(token)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: tuple[object, ...],
        kwargs: dict[str, object],
    ) -> HttpResponse | None:
        match = request.resolver_match
        if (
            request.method in {"GET", "HEAD"}
            and match is not None
            and match.view_name in settings.REPLICA_READ_VIEWS
        ):
            request._replica_token = _reading_replica.set(True)  # type: ignore[attr-defined]
        return None
