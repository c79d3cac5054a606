"""Insights dashboard speed: the operator's and the public page, p50/p95 over N requests.

    DATABASE_URL=postgres://... .venv/bin/python bench/insights.py [--requests 200]

Run against a database with the demo and extra history (`ewtp loaddemo` then
`ewtp demo orders 97000`). Prints the order count, the first (cold: figures computed) and
the warm timings (figures cached until the data change), in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402

from ewtp.accounts.models import User  # noqa: E402
from ewtp.orders.models import Order  # noqa: E402


def _measure(client: Client, url: str, requests: int) -> tuple[float, float, float]:
    cache.clear()
    started = time.perf_counter()
    assert client.get(url).status_code == 200
    cold = (time.perf_counter() - started) * 1000
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    return cold, statistics.median(timings), p95


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    print(f"orders: {Order.objects.count()}")
    public = Client()
    operator = Client()
    operator.force_login(User.objects.get(email="operator@demo.ewtp.rw"))
    officer = Client()
    officer.force_login(User.objects.get(email="customs.be@demo.ewtp.rw"))
    for name, client, url in [
        ("public", public, "/insights/"),
        ("operator", operator, "/insights/operator/"),
        ("authority", officer, "/insights/authority/"),
    ]:
        cold, p50, p95 = _measure(client, url, args.requests)
        print(f"{name:9} cold {cold:8.1f} ms   warm p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
