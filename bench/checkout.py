"""Benchmark: concurrent guests check out and pay through the sandbox, over HTTP.

Creates two sellers' products (stock enough for every guest), starts `ewtp serve` and
`ewtp worker` against DATABASE_URL (PostgreSQL; migrated first), and lets guests each fill a
cart from both sellers, check out with an Idempotency-Key and approve the sandbox payment; the
sandbox then delivers its signed webhook and the orders become paid. Prints completed orders
per second and latency percentiles, and confirms the ledger balanced at the end.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ewtp .venv/bin/python bench/checkout.py

A benchmark, not a test: it prints figures; it exits non-zero only if the ledger is off.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._server import migrate, percentile, serving, thread_client


def prepare(stock: int) -> list[str]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from ewtp.catalog.tests.factories import make_product, make_seller
    from ewtp.logistics.demo import network_ensure
    from ewtp.traderules.services.reference_data import reference_data_ensure

    reference_data_ensure()

    network_ensure()
    run = uuid.uuid4().hex[:6]
    coffee = make_product(make_seller(f"bench-coffee-{run}"), f"Bench coffee {run}", stock=stock)
    tea = make_product(
        make_seller(f"bench-tea-{run}"),
        f"Bench tea {run}",
        hs_code="0902.40",
        price="5000",
        weight="0.27",
        stock=stock,
    )
    return [str(coffee.public_id), str(tea.public_id)]


def guest(host: str, port: int, products: list[str], index: int) -> tuple[bool, float, int]:
    client = thread_client(host, port)
    started = time.perf_counter()
    status, cart = client.request("POST", "/api/v1/carts")
    cart_id = cart["id"]
    for product in products:
        client.request(
            "POST", f"/api/v1/carts/{cart_id}/lines", {"product_id": product, "quantity": 1}
        )
    status, placed = client.request(
        "POST",
        f"/api/v1/carts/{cart_id}/checkout",
        {
            "email": f"guest{index}@example.be",
            "destination": "BE",
            "currency": "EUR",
            "shipping_address": {
                "name": f"Guest {index}",
                "line1": "Rue Neuve 1",
                "city": "Bruxelles",
                "postal_code": "1000",
                "country": "BE",
            },
        },
        headers={"Idempotency-Key": f"bench-{uuid.uuid4()}"},
    )
    if status != 201:
        return False, time.perf_counter() - started, 0
    payment_id = placed["payment"]["id"]
    client.request("POST", f"/api/v1/payments/sandbox/{payment_id}/approve")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        _status, payment = client.request("GET", f"/api/v1/payments/{payment_id}")
        if payment and payment.get("status") == "succeeded":
            return True, time.perf_counter() - started, len(placed["orders"])
        time.sleep(0.05)
    return False, time.perf_counter() - started, 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guests", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8, help="client threads")
    parser.add_argument("--server-workers", type=int, default=4)
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print(
            "note: DATABASE_URL is not PostgreSQL; using",
            os.environ.get("DATABASE_URL") or "the embedded SQLite file",
        )
    migrate()
    os.environ["EWTP_RATE_LIMITS"] = "off"
    os.environ["EWTP_HTTPS"] = "off"
    products = prepare(stock=options.guests + 10)
    with serving(options.server_workers, with_worker=True) as (host, port):
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=options.clients) as pool:
            results = list(
                pool.map(lambda i: guest(host, port, products, i), range(options.guests))
            )
        elapsed = time.perf_counter() - started
    paid = [r for r in results if r[0]]
    orders = sum(r[2] for r in paid)
    latencies = [r[1] * 1000 for r in paid]
    from ewtp.ledger.services import ledger_verify

    verdict = ledger_verify()
    print(
        f"guests: {options.guests} from {options.clients} client threads, "
        f"{options.server_workers} gunicorn workers + 1 task worker, in {elapsed:.2f} s"
    )
    print(
        f"paid checkouts: {len(paid)}; orders paid: {orders}; "
        f"completed orders per second: {orders / elapsed:.1f}"
    )
    print(
        f"checkout-to-paid latency ms: p50 {percentile(latencies, 0.5):.0f}, "
        f"p95 {percentile(latencies, 0.95):.0f}"
    )
    print(
        f"ledger verify: balanced={verdict['balanced']} accounts={verdict['accounts']} "
        f"postings={verdict['postings']} problems={len(verdict['problems'])}"
    )
    return 0 if verdict["balanced"] else 1


if __name__ == "__main__":
    sys.exit(main())
