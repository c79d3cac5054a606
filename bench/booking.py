"""Benchmark: many tourists race for the gorilla permits of one day, over HTTP.

Starts `ewtp serve` (gunicorn, 2 sync workers) on a free 127.0.0.1 port against DATABASE_URL
(PostgreSQL; migrated first), creates a fresh experience with 96 places a day, then fires 300
booking requests of 1 to 4 visitors from 16 client threads, each on a fresh connection: the
draw of the peer's contest (../shared/peers/pretix/contest.py: random.seed(7), the same sizes
in the same order). Prints requests per second, p50, p95, the refusals' p50 (at the client and
the server's own time, from its Server-Timing header), /health's requests per second in the
same run with the same clients (and the ratio), the load average, and the final count; checks
that the day never oversold. As the peer's script does, one server serves a warm-up contest
(run 0, not counted) and then --runs contests (3), each on a fresh experience; the medians close.

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


def contest(base: str, options: argparse.Namespace, draw: list[int]) -> dict[str, Any]:
    """One contest on a fresh experience: every request's answer, and the day's final count."""
    slug, day = prepare(options.capacity)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=options.clients) as pool:
        results = list(
            pool.map(
                lambda i: book(base, slug, day, i, draw[i], options.timeout),
                range(options.requests),
            )
        )
    elapsed = time.perf_counter() - started
    return {
        "slug": slug,
        "day": day,
        "started": started,
        "elapsed": elapsed,
        "results": results,
        "count": final_count(slug, day),
    }


def report(run: dict[str, Any], options: argparse.Namespace, health_rps: float) -> dict[str, Any]:
    """Print one counted run's figures; return its headline numbers."""
    results, elapsed, count = run["results"], run["elapsed"], run["count"]
    statuses = Counter(status for status, _latency, _end, _server in results)
    latencies = [latency * 1000 for _status, latency, _end, _server in results]
    refused = [r for r in results if r[0] == 409]
    accepted = [r for r in results if r[0] == 201]
    ends = [end for status, _latency, end, _s in results if status == 201]
    sold_in = max(max(ends, default=run["started"]) - run["started"], 1e-9)
    created = statuses.get(201, 0)
    rps = options.requests / elapsed
    refused_server = statistics.median([r[3] or 0 for r in refused]) if refused else 0.0
    accepted_server = statistics.median([r[3] or 0 for r in accepted]) if accepted else 0.0
    figures = {
        "rps": rps,
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "refused_server": refused_server,
        "oversold": count["taken"] > count["capacity"]
        or count["taken"] != count["places_in_bookings"],
    }
    print(f"experience {run['slug']}, date {run['day']}, capacity {count['capacity']}")
    print(f"answers: {dict(sorted(statuses.items()))} in {elapsed:.2f} s")
    print(
        f"bookings per second: {created / elapsed:.1f} over the whole run, "
        f"{created / sold_in:.1f} until the last sale ({sold_in:.2f} s)"
    )
    print(
        f"latency ms: p50 {figures['p50']:.0f}, p95 {figures['p95']:.0f}, "
        f"max {max(latencies):.0f}; server p50: accepted {accepted_server:.2f}, "
        f"refused {refused_server:.2f}"
    )
    print(
        f"booking contest: {rps:.1f} requests/s, p50 {figures['p50']:.0f} ms, "
        f"p95 {figures['p95']:.0f} ms, refused p50 {refused_server:.2f} ms server, "
        f"{rps / health_rps:.2f} of health"
    )
    print(
        f"final count: {count['taken']} of {count['capacity']} places taken by "
        f"{count['bookings']} bookings ({count['places_in_bookings']} places, "
        f"{count['visitors_written']} visitors written); "
        + ("oversold: YES (a bug)" if figures["oversold"] else "oversold: NO")
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=16, help="client threads")
    parser.add_argument("--server-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--capacity", type=int, default=96)
    parser.add_argument("--timeout", type=float, default=30, help="seconds per request")
    parser.add_argument("--runs", type=int, default=3, help="counted runs, after one warm-up")
    options = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print(
            "note: DATABASE_URL is not PostgreSQL; running against",
            os.environ.get("DATABASE_URL") or "the embedded SQLite file",
        )
    migrate()
    os.environ["EWTP_RATE_LIMITS"] = "off"
    os.environ["EWTP_HTTPS"] = "off"
    draw = sizes(options.requests)
    load = os.getloadavg()
    print(f"load average before the runs: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    counted = []
    with serving(options.server_workers) as (host, port):
        base = f"http://{host}:{port}"
        health(base, 50, options.clients)  # every worker warm
        health_rps = health(base, options.requests, options.clients)
        print(f"health: {health_rps:.0f} requests/s")
        # Run 0 warms the booking path up and is not counted, as in the peer's script.
        for number in range(options.runs + 1):
            run = contest(base, options, draw)
            if number == 0:
                print(f"run 0 (warm-up, not counted): {run['elapsed']:.2f} s")
                continue
            print(f"--- run {number}")
            counted.append(report(run, options, health_rps))
    rps = statistics.median(f["rps"] for f in counted)
    p95 = statistics.median(f["p95"] for f in counted)
    refused = statistics.median(f["refused_server"] for f in counted)
    print(
        f"eWTP median of {len(counted)}: {rps:.1f} requests/s, p95 {p95:.0f} ms, "
        f"refused p50 {refused:.2f} ms server; health {health_rps:.0f} requests/s "
        f"({rps / health_rps:.2f} of health)"
    )
    return 1 if any(f["oversold"] for f in counted) else 0


if __name__ == "__main__":
    sys.exit(main())
