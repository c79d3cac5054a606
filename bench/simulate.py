"""Benchmark: a rule proposal's simulation replays N orders under two rule sets.

Places a few orders through the real checkout (BE and CN, three sellers), copies them with bulk
inserts into N minimal order rows that carry the same stored quotes (each with its request),
drafts a proposal (VAT on chapter 09 into Belgium 6% -> 12%) and times the simulation: every
order replayed under the base rules and under the proposal, streamed in batches. Prints orders
per second, the seconds taken and the process's peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ewtp_bench .venv/bin/python bench/simulate.py

A benchmark, not a test: it prints figures; it exits non-zero when the replay does not
reproduce the stored quotes or takes longer than the budget (30 s for 100,000 orders).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._server import migrate


def _templates() -> list[object]:
    from ewtp.catalog.tests.factories import ADDRESSES, make_product, make_seller
    from ewtp.logistics.demo import network_ensure
    from ewtp.orders.services.carts import cart_create, cart_line_add
    from ewtp.orders.services.checkout import checkout_place

    network_ensure()
    run = uuid.uuid4().hex[:6]
    coffee = make_product(make_seller(f"bench-coffee-{run}"), f"Coffee {run}", stock=100)
    tea = make_product(
        make_seller(f"bench-tea-{run}"),
        f"Tea {run}",
        hs_code="0902.40",
        price="5000",
        weight="0.27",
        stock=100,
    )
    basket = make_product(
        make_seller(f"bench-basket-{run}"),
        f"Basket {run}",
        hs_code="4602.19",
        price="25000",
        weight="0.4",
        stock=100,
    )
    orders = []
    for destination, currency, lines in (
        ("BE", "EUR", [(coffee, 2), (tea, 1), (basket, 1)]),
        ("BE", "EUR", [(coffee, 5)]),
        ("CN", "CNY", [(coffee, 1), (tea, 3)]),
    ):
        cart = cart_create()
        for product, quantity in lines:
            cart_line_add(cart=cart, product_id=str(product.public_id), quantity=quantity)
        checkout = checkout_place(
            cart=cart,
            email="bench@example.org",
            destination=destination,
            currency=currency,
            shipping_address=ADDRESSES[destination],
        )
        orders.extend(checkout.orders.all())
    return orders


def prepare(count: int) -> str:
    """N order rows copied from the templates; returns the proposal's code."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # The orders are placed on the shipped (old) exchange rates, as in the other benchmarks.
    os.environ.setdefault("EWTP_FX_MAX_AGE_DAYS", "0")
    os.environ.setdefault("EWTP_PAYMENT_PROVIDERS", "sandbox")
    import django

    django.setup()
    from ewtp.core import clock
    from ewtp.forum.services.proposals import proposal_propose
    from ewtp.orders.models import Order
    from ewtp.traderules.services.reference_data import reference_data_ensure
    from ewtp.traderules.services.versions import rules_export

    reference_data_ensure()
    existing = Order.objects.count()  # a second run tops the database up to N
    templates = _templates() if existing < count else list(Order.objects.order_by("id")[:5])
    started = time.perf_counter()
    now = clock.now()
    batch: list[Order] = []
    for index in range(max(0, count - existing - len(templates))):
        template = templates[index % len(templates)]
        copy = Order(
            **{f.attname: getattr(template, f.attname) for f in Order._meta.concrete_fields}
        )
        copy.pk = None
        copy.public_id = uuid.uuid4()
        copy.created_at = now
        batch.append(copy)
        if len(batch) == 5000:
            Order.objects.bulk_create(batch)
            batch = []
    Order.objects.bulk_create(batch)
    print(f"{Order.objects.count()} orders ready in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as directory:
        rules_export(directory)
        path = Path(directory) / "taxes.csv"
        with path.open(encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            fields = list(reader.fieldnames or [])
            rows = list(reader)
        for row in rows:
            if row["country"] == "BE" and row["hs_prefix"] == "09":
                row["rate"] = "0.12"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        proposal = proposal_propose(
            directory=directory,
            title="Bench: VAT on coffee and tea into Belgium",
            effective_on=now.date(),
        )
    return proposal.code


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--budget", type=float, default=30.0, help="seconds allowed")
    options = parser.parse_args()
    migrate()
    code = prepare(options.orders)
    from ewtp.forum.models import Proposal
    from ewtp.forum.services.simulation import simulation_create, simulation_run
    from ewtp.orders.models import Order

    proposal = Proposal.objects.get(code=code)
    simulation = simulation_create(proposal=proposal, actor=None, filters={})
    started = time.perf_counter()
    cpu_started = _cpu()
    done = simulation_run(simulation_id=simulation.pk)
    seconds = time.perf_counter() - started
    cpu = _cpu() - cpu_started
    summary = done.summary
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    orders = summary["orders"]
    print(
        f"simulation of {code}: {orders} orders replayed under two rule sets "
        f"({Order.objects.count()} in the database), {summary['changed']} changed, "
        f"fidelity {summary['fidelity']}"
    )
    print(f"{seconds:.1f} s, {orders / seconds:,.0f} orders/s, peak memory {peak_mb:,.0f} MB")
    load = os.getloadavg()[0]
    print(f"CPU time {cpu:.1f} s (this process and its workers); load average {load:.1f}")
    ok = summary["fidelity"]["drifted"] == 0 and (orders < 100_000 or seconds <= options.budget)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
