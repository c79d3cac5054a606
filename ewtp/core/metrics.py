"""Prometheus metrics at /metrics: requests (by view, method and status, with latency), and
whatever the project registers with :func:`register_collector` (the task queue, payments).

Under gunicorn every worker process counts its own requests; with ``PROMETHEUS_MULTIPROC_DIR``
set (``ewtp serve`` sets it) the processes write their counters there and /metrics adds them
up. Gauges read from the database are computed at scrape time, once, by the answering process.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterable

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from ewtp.core import conf

REQUESTS = Counter(
    "ewtp_http_requests_total",
    "HTTP requests answered, by view, method and status.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "ewtp_http_request_duration_seconds",
    "Time to answer an HTTP request, by view.",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

_COLLECTORS: list[Collector] = []


def register_collector(collector: Collector) -> None:
    """Add a collector whose samples /metrics reports (each computed at scrape time)."""
    _COLLECTORS.append(collector)


def collectors() -> Iterable[Collector]:
    return tuple(_COLLECTORS)


class MetricsMiddleware:
    """Counts every request by its URL pattern's name (never the raw path: bounded labels)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None and match.view_name else "<unmatched>"
        method = request.method if request.method in _METHODS else "other"
        REQUESTS.labels(view, method, str(response.status_code)).inc()
        elapsed = time.perf_counter() - started
        LATENCY.labels(view).observe(elapsed)
        # The server's own time (W3C Server-Timing), for the benchmarks and browsers' tools.
        response["Server-Timing"] = f"app;dur={elapsed * 1000:.2f}"
        return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
_LOCAL = {"127.0.0.1", "::1"}


def _allowed(request: HttpRequest) -> bool:
    token = conf.METRICS_TOKEN()
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    return request.META.get("REMOTE_ADDR") in _LOCAL and "HTTP_X_FORWARDED_FOR" not in request.META


def registry() -> CollectorRegistry:
    """The registry a scrape reads: this process's (or every process's) counters, and the
    registered collectors."""
    scrape = CollectorRegistry(auto_describe=True)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(scrape)  # type: ignore[no-untyped-call]
    else:
        from prometheus_client import REGISTRY

        scrape.register(_Delegate(REGISTRY))
    for collector in collectors():
        scrape.register(collector)
    return scrape


class _Delegate(Collector):
    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterable:  # type: ignore[type-arg]
        return self.source.collect()


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise Http404
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
