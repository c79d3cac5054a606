"""Benchmark: many tourists race for the gorilla permits of one day, over HTTP.

Starts `ewtp serve` (gunicorn, 2 sync workers) on a free 127.0.0.1 port against DATABASE_URL
(PostgreSQL; migrated first), creates a fresh experience with 96 places a day, then fires 300
booking requests of 1 to 4 visitors from 16 client threads, each on a fresh connection: the
draw of the peer's contest (../shared/peers/pretix/contest.py: random.seed(7), the same sizes
in the same order). Prints requests per second, p50, p95, the refusals' p50 (at the client and
the server's own time, from its Server-Timing header), /health's requests per second in the
same run with the same clients (and the ratio), the load average, and the final count; checks
that the day never oversold.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ewtp .venv/bin/python bench/booking.py

A benchmark, not a test: it prints figures and exits non-zero only if the day oversold.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import statistics
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._server import migrate, percentile, serving


def prepare(capacity: int) -> tuple[str, str]:
    """A fresh experience (its own slug) and a date 60 days ahead; returns (slug, date)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from ewtp.tourism import demo
    from ewtp.tourism.models import Park
    from ewtp.tourism.services import common

    for slug, name, community in demo.PARKS:
        Park.objects.get_or_create(slug=slug, defaults={"name": name, "community_name": community})
    spec = dataclasses.replace(
        demo.EXPERIENCES[0], slug=f"bench-gorillas-{uuid.uuid4().hex[:8]}", capacity=capacity
    )
    experience, _created = demo.experience_create(spec, demo.operator())
    day = common.local_today(experience) + timedelta(days=60)
    return experience.slug, day.isoformat()


def final_count(slug: str, day: str) -> dict[str, int]:
    from django.db.models import Sum

    from ewtp.tourism.models import Booking, BookingVisitor, DailyCapacity

    row = DailyCapacity.objects.get(experience__slug=slug, visit_on=day)
    bookings = Booking.objects.filter(experience__slug=slug, visit_on=day)
    return {
        "capacity": row.capacity,
        "taken": row.taken,
        "bookings": bookings.count(),
        "places_in_bookings": bookings.aggregate(total=Sum("places"))["total"] or 0,
        "visitors_written": BookingVisitor.objects.filter(booking__in=bookings).count(),
    }


def sizes(count: int) -> list[int]:
    """The peer contest's draw: random.seed(7), then one randint(1, 4) a request, in order."""
    draw = random.Random(7)
    return [draw.randint(1, 4) for _ in range(count)]


def server_ms(headers: Any) -> float | None:
    """The server's own time of an answer (its Server-Timing header), in ms."""
    timing = headers.get("Server-Timing", "") if headers is not None else ""
    for part in timing.split(";"):
        if part.strip().startswith("dur="):
            return float(part.strip()[4:])
    return None


def book(
    base: str, slug: str, day: str, index: int, size: int, timeout: float
) -> tuple[int, float, float, float | None]:
    body = json.dumps(
        {
            "date": day,
            "email": f"bench{index}@example.org",
            "visitors": [
                {
                    "category": "foreign_non_resident",
                    "full_name": f"Visitor {index}-{n}",
                    "nationality": "FR",
                    "birth_date": "1985-06-01",
                    "document_number": f"P{index:05d}{n}",
                }
                for n in range(size)
            ],
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}/api/v1/tourism/experiences/{slug}/bookings",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": f"bench-{uuid.uuid4()}"},
    )
    started = time.perf_counter()
    server: float | None = None
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status, server = response.status, server_ms(response.headers)
    except urllib.error.HTTPError as error:
        error.read()
        status, server = error.code, server_ms(error.headers)
    except (urllib.error.URLError, OSError):
        status = 0  # timed out or refused
    finished = time.perf_counter()
    return status, finished - started, finished, server


def health(base: str, requests: int, clients: int) -> float:
    """Requests per second of GET /api/v1/health, fresh connections, as the contest sends."""

    def one(_index: int) -> None:
        with urllib.request.urlopen(f"{base}/api/v1/health", timeout=30) as response:
            response.read()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, range(requests)))
    return requests / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=16, help="client threads")
    parser.add_argument("--server-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--capacity", type=int, default=96)
    parser.add_argument("--timeout", type=float, default=30, help="seconds per request")
    options = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print(
            "note: DATABASE_URL is not PostgreSQL; running against",
            os.environ.get("DATABASE_URL") or "the embedded SQLite file",
        )
    migrate()
    os.environ["EWTP_RATE_LIMITS"] = "off"
    os.environ["EWTP_HTTPS"] = "off"
    slug, day = prepare(options.capacity)

    draw = sizes(options.requests)
    load = os.getloadavg()
    with serving(options.server_workers) as (host, port):
        base = f"http://{host}:{port}"
        health(base, 50, options.clients)  # every worker warm
        health_rps = health(base, options.requests, options.clients)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=options.clients) as pool:
            results = list(
                pool.map(
                    lambda i: book(base, slug, day, i, draw[i], options.timeout),
                    range(options.requests),
                )
            )
        elapsed = time.perf_counter() - started

    statuses = Counter(status for status, _latency, _end, _server in results)
    latencies = [latency * 1000 for _status, latency, _end, _server in results]
    refused = [r for r in results if r[0] == 409]
    accepted = [r for r in results if r[0] == 201]
    last_sale = max(
        (end for status, _latency, end, _s in results if status == 201), default=started
    )
    count = final_count(slug, day)
    created = statuses.get(201, 0)
    print(f"experience {slug}, date {day}, capacity {count['capacity']}")
    print(
        f"requests: {options.requests} from {options.clients} client threads, "
        f"{options.server_workers} gunicorn workers, in {elapsed:.2f} s"
    )
    print(f"answers: {dict(sorted(statuses.items()))}")
    sold_in = max(last_sale - started, 1e-9)
    print(
        f"bookings per second: {created / elapsed:.1f} over the whole run, "
        f"{created / sold_in:.1f} until the last sale ({sold_in:.2f} s); "
        f"requests per second: {options.requests / elapsed:.1f}"
    )
    rps = options.requests / elapsed
    print(
        f"latency ms: p50 {statistics.median(latencies):.0f}, "
        f"p95 {percentile(latencies, 0.95):.0f}, max {max(latencies):.0f}"
    )
    print(
        "accepted p50 ms: "
        f"{statistics.median([r[1] * 1000 for r in accepted]) if accepted else 0:.1f} "
        f"(server {statistics.median([r[3] or 0 for r in accepted]) if accepted else 0:.2f}); "
        f"refused p50 ms: {statistics.median([r[1] * 1000 for r in refused]) if refused else 0:.1f}"
        f" (server {statistics.median([r[3] or 0 for r in refused]) if refused else 0:.2f})"
    )
    print(
        f"health in the same run: {health_rps:.0f} requests/s; "
        f"bookings at {rps / health_rps:.2f} of health"
    )
    print(f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"booking contest: {rps:.1f} requests/s, p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {percentile(latencies, 0.95):.0f} ms, refused p50 "
        f"{statistics.median([r[3] or 0 for r in refused]) if refused else 0:.2f} ms server"
    )
    print(
        f"final count: {count['taken']} of {count['capacity']} places taken by "
        f"{count['bookings']} bookings ({count['places_in_bookings']} places, "
        f"{count['visitors_written']} visitors written)"
    )
    oversold = count["taken"] > count["capacity"] or count["taken"] != count["places_in_bookings"]
    print("oversold: NO" if not oversold else "oversold: YES (a bug)")
    return 1 if oversold else 0


if __name__ == "__main__":
    sys.exit(main())
