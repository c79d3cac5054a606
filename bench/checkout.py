"""Benchmark: concurrent guests check out and pay through the sandbox, over HTTP.

Creates two sellers' products (stock enough for every guest), starts `ewtp serve` and
`ewtp worker` against DATABASE_URL (PostgreSQL; migrated first), and lets guests each fill a
cart from both sellers, check out with an Idempotency-Key and approve the sandbox payment; the
sandbox then delivers its signed webhook and the orders become paid. Prints completed orders
per second and latency percentiles, and confirms the ledger balanced at the end.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ewtp .venv/bin/python bench/checkout.py

With --contest N, the checkout contest: the scarcest product has N units and N + max(N, 40)
guests race for it, twice: the checkouts alone (each guest's cart filled before the start), then
whole journeys (a cart, two lines, a checkout each) for a second scarce product; it prints the
attempts per second of each, then pays every accepted checkout and checks that nothing oversold
and that the ledger balanced.

A benchmark, not a test: it prints figures; it exits non-zero only if the ledger is off (or,
in the contest, something oversold or a checkout was not paid).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._server import cpu_seconds, migrate, percentile, serving, thread_client


def prepare(stock: int, scarce: int | None = None) -> list[str]:
    """Two sellers' products (coffee, tea); with ``scarce``, the coffee has only that many."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from ewtp.catalog.tests.factories import make_product, make_seller
    from ewtp.logistics.demo import network_ensure
    from ewtp.traderules.services.reference_data import reference_data_ensure

    reference_data_ensure()

    network_ensure()
    run = uuid.uuid4().hex[:6]
    coffee = make_product(
        make_seller(f"bench-coffee-{run}"),
        f"Bench coffee {run}",
        stock=stock if scarce is None else scarce,
    )
    tea = make_product(
        make_seller(f"bench-tea-{run}"),
        f"Bench tea {run}",
        hs_code="0902.40",
        price="5000",
        weight="0.27",
        stock=stock,
    )
    return [str(coffee.public_id), str(tea.public_id)]


def cart_filled(host: str, port: int, products: list[str]) -> str:
    """A guest's cart with one unit of each product: its id."""
    client = thread_client(host, port)
    _status, cart = client.request("POST", "/api/v1/carts")
    for product in products:
        client.request(
            "POST", f"/api/v1/carts/{cart['id']}/lines", {"product_id": product, "quantity": 1}
        )
    return str(cart["id"])


def checkout(host: str, port: int, cart_id: str, index: int) -> tuple[int, Any]:
    """The guest's checkout of a filled cart, with an Idempotency-Key: (status, answer)."""
    return thread_client(host, port).request(
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


def attempt(host: str, port: int, products: list[str], index: int) -> tuple[int, Any, float]:
    """One guest's whole journey: a cart of both sellers and its checkout (status, answer,
    seconds)."""
    started = time.perf_counter()
    status, placed = checkout(host, port, cart_filled(host, port, products), index)
    return status, placed, time.perf_counter() - started


def checkout_timed(host: str, port: int, cart_id: str, index: int) -> tuple[int, Any, float]:
    """One guest's checkout of a cart filled before the race (status, answer, seconds)."""
    started = time.perf_counter()
    status, placed = checkout(host, port, cart_id, index)
    return status, placed, time.perf_counter() - started


def pay(host: str, port: int, placed: Any) -> bool:
    """Approve the sandbox payment and wait until the webhook made it succeed."""
    client = thread_client(host, port)
    payment_id = placed["payment"]["id"]
    client.request("POST", f"/api/v1/payments/sandbox/{payment_id}/approve")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        _status, payment = client.request("GET", f"/api/v1/payments/{payment_id}")
        if payment and payment.get("status") == "succeeded":
            return True
        time.sleep(0.05)
    return False


def guest(host: str, port: int, products: list[str], index: int) -> tuple[bool, float, int]:
    started = time.perf_counter()
    status, placed, _seconds = attempt(host, port, products, index)
    if status != 201 or not pay(host, port, placed):
        return False, time.perf_counter() - started, 0
    return True, time.perf_counter() - started, len(placed["orders"])


def race(
    label: str, run: Any, guests: int, clients: int
) -> tuple[list[tuple[int, Any, float]], float]:
    """Run ``run(index)`` for every guest from ``clients`` threads: the answers and seconds."""
    cpu_before, started = cpu_seconds(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        answers = list(pool.map(run, range(guests)))
    elapsed = time.perf_counter() - started
    cpu = {kind: used - cpu_before[kind] for kind, used in cpu_seconds().items()}
    from collections import Counter

    statuses = Counter(status for status, _a, _s in answers)
    seconds = sorted(s * 1000 for _st, _a, s in answers)
    print(
        f"{label}: {guests} in {elapsed:.2f} s: {guests / elapsed:.1f} attempts/s; answers "
        f"{dict(sorted(statuses.items()))}; attempt p50 {percentile(seconds, 0.5):.0f} ms, "
        f"p95 {percentile(seconds, 0.95):.0f} ms"
    )
    print(
        "  CPU during the race, ms per attempt: "
        + ", ".join(f"{kind} {used * 1000 / guests:.1f}" for kind, used in cpu.items())
        + f" (two cores give {2 * elapsed * 1000 / guests:.1f})"
    )
    return answers, elapsed


def oversold(product: str, scarce: int, sold: int) -> bool:
    from ewtp.catalog.models import StockLevel

    level = StockLevel.objects.get(variant__product__public_id=product)
    print(
        f"scarcest product: {sold} sold of {scarce}, on hand {level.on_hand}, "
        f"reserved {level.reserved}; oversold: "
        f"{'YES (a bug)' if level.on_hand < 0 or scarce - level.on_hand != sold else 'NO'}"
    )
    return level.on_hand < 0 or level.reserved < 0 or scarce - level.on_hand != sold


def contest(options: argparse.Namespace) -> int:
    """N units of the scarcest product, N + max(N, 40) guests, twice: first the checkouts
    raced (every guest's cart filled before the start), then whole journeys raced (a cart,
    two lines, a checkout each) on a second scarce product; attempts per second of each, then
    every accepted checkout paid; never oversold, the ledger balanced."""
    scarce = options.contest
    guests = scarce + max(scarce, 40)
    raced = prepare(stock=guests + 10, scarce=scarce)
    whole = prepare(stock=guests + 10, scarce=scarce)
    load = os.getloadavg()
    print(f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"checkout contest: {scarce} units of the scarcest product, {guests} guests from "
        f"{options.clients} client threads, {options.server_workers} gunicorn workers"
    )
    with serving(options.server_workers, with_worker=True) as (host, port):
        with ThreadPoolExecutor(max_workers=options.clients) as pool:
            carts = list(pool.map(lambda _i: cart_filled(host, port, raced), range(guests)))
        checkouts, _e = race(
            "checkouts raced (carts filled before)",
            lambda i: checkout_timed(host, port, carts[i], i),
            guests,
            options.clients,
        )
        journeys, _e = race(
            "whole journeys raced (cart, two lines, checkout each)",
            lambda i: attempt(host, port, whole, i),
            guests,
            options.clients,
        )
        placed = [answer for status, answer, _s in checkouts + journeys if status == 201]
        paid_started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=options.clients) as pool:
            paid = sum(pool.map(lambda answer: pay(host, port, answer), placed))
        paid_in = time.perf_counter() - paid_started
    from ewtp.ledger.services import ledger_verify

    print(f"paid: {paid} of {len(placed)} accepted checkouts in {paid_in:.2f} s")
    bad = [
        oversold(product, scarce, sum(1 for status, _a, _s in answers if status == 201))
        for product, answers in ((raced[0], checkouts), (whole[0], journeys))
    ]
    verdict = ledger_verify()
    print(
        f"ledger verify: balanced={verdict['balanced']} accounts={verdict['accounts']} "
        f"postings={verdict['postings']} problems={len(verdict['problems'])}"
    )
    return 0 if verdict["balanced"] and not any(bad) and paid == len(placed) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guests", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8, help="client threads")
    parser.add_argument("--server-workers", type=int, default=4)
    parser.add_argument(
        "--contest",
        type=int,
        default=0,
        metavar="N",
        help="the checkout contest: N units of the scarcest product, N + max(N, 40) guests",
    )
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print(
            "note: DATABASE_URL is not PostgreSQL; using",
            os.environ.get("DATABASE_URL") or "the embedded SQLite file",
        )
    migrate()
    os.environ["EWTP_RATE_LIMITS"] = "off"
    os.environ["EWTP_HTTPS"] = "off"
    if options.contest:
        return contest(options)
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
