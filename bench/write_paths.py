"""Profile of the write paths, in process: where one request's time goes.

For each path (a booking, a refused booking on a sold-out date, a cart line, a checkout over
two sellers, a sandbox approval, the payment webhook that follows, a gate check-in) it sends
the request through the whole Django stack (middleware, ninja, the services) against
DATABASE_URL, REPEAT times on fresh objects, and prints:

- the median wall time of a request without the profiler, its SQL statements (BEGIN and
  COMMIT not counted here), the time spent waiting for the database, and the CPU time of the
  process (the Python work: the least sensitive to a busy machine);
- under cProfile, the inclusive time of the parts named in PARTS (idempotency, audit, rate
  limiting, validation, serialisation, ...), per request. Parts overlap (a part may call another);
  the profiler inflates Python time, so read them as shares, not as absolute figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ewtp .venv/bin/python bench/write_paths.py

Rate limits are on (as in production; the database store without REDIS_URL); background tasks
go to the database queue (as under `ewtp serve`), so enqueueing is measured and running is not.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# (label, a piece of the file's path, the function's name)
PARTS: list[tuple[str, str, str]] = [
    ("middleware before and after the view", "django/core/handlers/base.py", "_get_response"),
    ("ninja: parse and validate the body", "ninja/operation.py", "_get_values"),
    ("ninja: render the answer", "ninja/operation.py", "_result_to_response"),
    ("idempotency: claim the key", "ewtp/core/services.py", "_claim"),
    ("idempotency: fingerprint", "ewtp/core/services.py", "request_fingerprint"),
    ("rate limiting", "ewtp/core/ratelimit.py", "rate_limit"),
    ("audit rows", "ewtp/core/services.py", "audit_record"),
    ("model full_clean", "django/db/models/base.py", "full_clean"),
    ("booking: rules checked", "ewtp/tourism/services/holds.py", "booking_request_check"),
    ("booking: price", "ewtp/tourism/services/holds.py", "booking_price"),
    (
        "booking: places taken (one statement)",
        "ewtp/tourism/services/capacity.py",
        "capacity_take_on",
    ),
    ("booking: the hold transaction", "ewtp/tourism/services/holds.py", "_hold"),
    ("booking: sold-out answer", "ewtp/tourism/services/holds.py", "_refusal"),
    ("booking: payment opened", "ewtp/tourism/services/holds.py", "booking_payment_start"),
    (
        "checkout: quotes of the consignments",
        "ewtp/orders/services/checkout.py",
        "_priced_consignments",
    ),
    ("checkout: the write transaction", "ewtp/orders/services/checkout.py", "write"),
    ("checkout: payment opened", "ewtp/orders/services/money.py", "checkout_payment_start"),
    ("checkout: answer body", "ewtp/orders/selectors.py", "checkout_body"),
    ("cart body", "ewtp/orders/selectors.py", "cart_body"),
    ("payment: provider call", "ewtp/payments/services.py", "payment_retry"),
    ("payment: settlement", "ewtp/payments/services.py", "payment_settle"),
    ("ledger postings", "ewtp/ledger/services.py", "posting_record"),
    ("tasks enqueued", "django/tasks/base.py", "enqueue"),
    ("mails", "django/core/mail/message.py", "send"),
    ("templates rendered", "django/template/base.py", "render"),
    ("signing (vouchers, webhooks)", "ewtp/core/signing.py", "verify"),
    ("SQL compilation", "django/db/models/sql/compiler.py", "as_sql"),
    ("database driver", "psycopg/cursor.py", "execute"),
    ("translations", "django/utils/translation/__init__.py", "gettext"),
]


@dataclass
class Measure:
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    sql: list[float] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)


@contextmanager
def counting(measure: Measure) -> Iterator[None]:
    from django.db import connection

    state = {"n": 0, "t": 0.0, "sql": []}

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            state["t"] += time.perf_counter() - started  # type: ignore[operator]
            state["n"] += 1  # type: ignore[operator]
            state["sql"].append(sql)  # type: ignore[union-attr]

    with connection.execute_wrapper(wrapper):
        yield
    measure.queries.append(state["n"])  # type: ignore[arg-type]
    measure.sql.append(state["t"])  # type: ignore[arg-type]
    measure.statements = state["sql"]  # type: ignore[assignment]


class World:
    """The objects the paths need: an experience, two sellers' products, a gate keeper."""

    def __init__(self) -> None:
        from django.test import Client

        from bench.booking import prepare as booking_prepare
        from bench.checkout import prepare as checkout_prepare
        from ewtp.accounts.models import Membership
        from ewtp.tourism.models import Experience
        from ewtp.tourism.tests.factories import make_member

        self.slug, self.day = booking_prepare(100_000)
        # The check-in is measured on a voucher for today, which an experience stops selling
        # once its daily start time has passed at the park: this one has no start time.
        Experience.objects.filter(slug=self.slug).update(starts_at_local=None)
        self.experience = Experience.objects.get(slug=self.slug)
        # A second date, sold out by one booking of every place.
        self.full_day = (
            __import__("datetime").date.fromisoformat(self.day) + timedelta(days=1)
        ).isoformat()
        self.products = checkout_prepare(stock=100_000)
        staff = make_member(
            self.experience.operator, f"gate-{uuid.uuid4().hex[:6]}@example.org", "staff"
        )
        assert staff.memberships.filter(role=Membership.Role.STAFF).exists()
        self.gate = Client()
        self.gate.force_login(staff)
        self.guest = Client()
        self.addresses = iter(range(1, 10**9))

    def address(self) -> str:
        """A new client address for each guest request: the rate limits count each once."""
        n = next(self.addresses)
        return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"

    # -- requests ---------------------------------------------------------------------------

    def booking_body(self, day: str, size: int = 2) -> dict[str, Any]:
        return {
            "date": day,
            "email": f"bench-{uuid.uuid4().hex[:8]}@example.org",
            "visitors": [
                {
                    "category": "foreign_non_resident",
                    "full_name": f"Visitor {n}",
                    "nationality": "FR",
                    "birth_date": "1985-06-01",
                    "document_number": f"P{n:05d}",
                }
                for n in range(size)
            ],
        }

    def book(self, day: str, size: int = 2) -> Any:
        return self.guest.post(
            f"/api/v1/tourism/experiences/{self.slug}/bookings",
            data=json.dumps(self.booking_body(day, size)),
            content_type="application/json",
            headers={"Idempotency-Key": str(uuid.uuid4())},
            REMOTE_ADDR=self.address(),
        )

    def cart(self) -> str:
        response = self.guest.post("/api/v1/carts", REMOTE_ADDR=self.address())
        return str(response.json()["id"])

    def add_line(self, cart: str, product: str) -> Any:
        return self.guest.post(
            f"/api/v1/carts/{cart}/lines",
            data=json.dumps({"product_id": product, "quantity": 1}),
            content_type="application/json",
            REMOTE_ADDR=self.address(),
        )

    def checkout(self, cart: str) -> Any:
        body = {
            "email": "guest@example.be",
            "destination": "BE",
            "currency": "EUR",
            "shipping_address": {
                "name": "Guest",
                "line1": "Rue Neuve 1",
                "city": "Bruxelles",
                "postal_code": "1000",
                "country": "BE",
            },
        }
        return self.guest.post(
            f"/api/v1/carts/{cart}/checkout",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Idempotency-Key": str(uuid.uuid4())},
            REMOTE_ADDR=self.address(),
        )

    def approve(self, payment_id: str) -> Any:
        return self.guest.post(
            f"/api/v1/payments/sandbox/{payment_id}/approve", REMOTE_ADDR=self.address()
        )

    def deliver_webhook(self, payment_id: str) -> bool:
        from ewtp.payments import sandbox
        from ewtp.payments.models import Payment, SandboxWebhook

        reference = Payment.objects.get(public_id=payment_id).provider_reference
        delivery = SandboxWebhook.objects.filter(
            payload__data__reference=reference, delivered_at__isnull=True
        ).latest("pk")
        return sandbox.webhook_deliver(delivery.event_id)

    def confirmed_voucher(self) -> str:
        from ewtp.tourism.models import Booking
        from ewtp.tourism.services import common
        from ewtp.tourism.services.gate import voucher_token

        today = common.local_today(self.experience).isoformat()
        held = self.book(today, 2).json()
        assert self.approve(held["payment"]["id"]).status_code == 200
        assert self.deliver_webhook(held["payment"]["id"])
        return voucher_token(Booking.objects.get(public_id=held["id"]))

    def checkin(self, token: str) -> Any:
        return self.gate.post(
            "/api/v1/tourism/checkins",
            data=json.dumps({"token": token}),
            content_type="application/json",
        )


def paths(world: World) -> dict[str, tuple[Callable[[], Any], Callable[[Any], Any]]]:
    """Each path: (prepare the objects of one request, send it)."""

    def two_line_cart() -> str:
        cart = world.cart()
        for product in world.products:
            world.add_line(cart, product)
        return cart

    def payment_of_checkout() -> str:
        return str(world.checkout(two_line_cart()).json()["payment"]["id"])

    def approved_payment() -> str:
        payment = payment_of_checkout()
        world.approve(payment)
        return payment

    return {
        "booking (2 visitors)": (lambda: None, lambda _: world.book(world.day)),
        "refused booking (sold out)": (lambda: None, lambda _: world.book(world.full_day)),
        "cart line": (world.cart, lambda cart: world.add_line(cart, world.products[0])),
        "checkout (2 sellers)": (two_line_cart, world.checkout),
        "sandbox approval": (payment_of_checkout, world.approve),
        "payment webhook (paid, 2 orders)": (approved_payment, world.deliver_webhook),
        "gate check-in": (world.confirmed_voucher, world.checkin),
    }


def measure(prepare: Callable[[], Any], send: Callable[[Any], Any], repeat: int) -> Measure:
    from django.db import reset_queries

    result = Measure()
    prepare_send = [prepare() for _ in range(repeat + 2)]
    for argument in prepare_send[:2]:  # warm-up
        send(argument)
    for argument in prepare_send[2:]:
        reset_queries()
        with counting(result):
            started, cpu = time.perf_counter(), time.process_time()
            response = send(argument)
            result.walls.append(time.perf_counter() - started)
            result.cpus.append(time.process_time() - cpu)
        result.statuses.add(getattr(response, "status_code", 200))
    return result


def profile(
    prepare: Callable[[], Any], send: Callable[[Any], Any], repeat: int
) -> dict[str, float]:
    arguments = [prepare() for _ in range(repeat)]
    profiler = cProfile.Profile()
    profiler.enable()
    for argument in arguments:
        send(argument)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    parts: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.items():
        for label, piece, function in PARTS:
            if name == function and piece in filename:
                parts[label] = parts.get(label, 0.0) + cumulative / repeat
    return parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", default="", help="a piece of a path's name")
    parser.add_argument("--sql", action="store_true", help="print each path's statements")
    options = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("EWTP_HTTPS", "off")
    os.environ.setdefault("EWTP_PAYMENT_PROVIDERS", "sandbox")
    os.environ.setdefault("EWTP_FX_MAX_AGE_DAYS", "0")  # the shipped rates are old: sell on them
    from bench._server import migrate

    migrate()
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS.append("testserver")
    settings.EWTP_RATE_LIMITS = True
    world = World()
    from ewtp.tourism.models import DailyCapacity
    from ewtp.tourism.services.capacity import capacity_row

    row = capacity_row(world.experience, __import__("datetime").date.fromisoformat(world.full_day))
    DailyCapacity.objects.filter(pk=row.pk).update(taken=row.capacity)

    print(
        f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}; "
        f"{options.repeat} requests a path; load average {os.getloadavg()[0]:.2f}"
    )
    for name, (prepare, send) in paths(world).items():
        if options.only and options.only not in name:
            continue
        result = measure(prepare, send, options.repeat)
        wall = statistics.median(result.walls) * 1000
        sql = statistics.median(result.sql) * 1000
        cpu = statistics.median(result.cpus) * 1000
        print(
            f"\n{name}: {wall:.2f} ms median (answers {sorted(result.statuses)}), "
            f"{statistics.median(result.queries):.0f} statements, waiting for the database "
            f"{sql:.2f} ms, the rest {wall - sql:.2f} ms; CPU of this process {cpu:.2f} ms"
        )
        if options.sql:
            for statement in result.statements:
                print("    " + " ".join(statement.split())[:150])
        parts = profile(prepare, send, max(5, options.repeat // 2))
        total = max(parts.get("middleware before and after the view", 0.0), 1e-9)
        for label, _piece, _function in PARTS:
            if parts.get(label):
                print(f"    {label:40s} {parts[label] * 1000:7.2f} ms  {parts[label] / total:5.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
