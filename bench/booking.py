"""Benchmark: many tourists race for the gorilla permits of one day, over HTTP.

Starts `ewtp serve` (gunicorn) on a free 127.0.0.1 port against DATABASE_URL (PostgreSQL;
migrated first), creates a fresh experience with 96 places a day, then fires a bounded number
of booking requests of 1 to 4 visitors from a pool of client threads. Prints bookings per
second, the latency percentiles and the final count, and checks that the day never oversold.

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


def book(base: str, slug: str, day: str, index: int, timeout: float) -> tuple[int, float, float]:
    size = random.Random(index).randint(1, 4)
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
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (urllib.error.URLError, OSError):
        status = 0  # timed out or refused
    finished = time.perf_counter()
    return status, finished - started, finished


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=16, help="client threads")
    parser.add_argument("--server-workers", type=int, default=4, help="gunicorn workers")
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

    with serving(options.server_workers) as (host, port):
        base = f"http://{host}:{port}"
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=options.clients) as pool:
            results = list(
                pool.map(
                    lambda i: book(base, slug, day, i, options.timeout), range(options.requests)
                )
            )
        elapsed = time.perf_counter() - started

    statuses = Counter(status for status, _latency, _end in results)
    latencies = [latency * 1000 for _status, latency, _end in results]
    last_sale = max((end for status, _latency, end in results if status == 201), default=started)
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
    print(
        f"latency ms: p50 {statistics.median(latencies):.0f}, "
        f"p95 {percentile(latencies, 0.95):.0f}, max {max(latencies):.0f}"
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
