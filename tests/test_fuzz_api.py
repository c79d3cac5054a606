"""Schema-driven fuzzing of the whole API (schemathesis over /api/v1/openapi.json), as a guest
and with a bearer token for each role of the demo: no answer is a server error, and every
answer matches the schema. Bounded: a few examples per operation and role."""

from __future__ import annotations

import io
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import DatabaseError, close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from ewtp.accounts.models import User
from ewtp.accounts.services import api_token_create
from ewtp.web.demo import USERS

# Examples per operation: the guest gets more, each signed-in role a few (time in CI ~1 min).
GUEST_EXAMPLES = int(os.environ.get("FUZZ_GUEST", "12"))
ROLE_EXAMPLES = int(os.environ.get("FUZZ_ROLE", "3"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def _schema() -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())


@contextmanager
def _connection_kept() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request, which would close
    the test's transaction; Django's test client keeps it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _strategy(operation: Any, seed: dict[str, Any] | None) -> Any:
    """Valid and invalid requests; with a seed, to a real object (its path and token fixed)."""
    if seed is None:
        return st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )
    strategy = operation.as_strategy(GenerationMode.POSITIVE, **seed)
    if operation.body or len(operation.query) > len(seed.get("query", {})):
        strategy = st.one_of(strategy, operation.as_strategy(GenerationMode.NEGATIVE, **seed))
    return strategy


def _fuzz(
    operation: Any,
    headers: dict[str, str],
    examples: int,
    tally: Counter[str],
    seed: dict[str, Any] | None = None,
) -> str:
    """Runs one operation; returns "" or the first failure's description."""
    strategy = _strategy(operation, seed)

    @given(case=strategy)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        # A savepoint per request: on PostgreSQL a failed statement would otherwise abort the
        # test's transaction and every later request with it.
        response = None
        with suppress(DatabaseError), transaction.atomic():
            response = case.call(headers=headers)
        assert response is not None
        tally["requests"] += 1
        tally[f"{response.status_code // 100}xx"] += 1
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as failure:  # collect every failure, report all
        return f"{operation.label}: {str(failure)[:1500]}"
    return ""


def _seeds() -> dict[str, dict[str, Any]]:
    """Real objects to aim at: a cart, an order and its payment, a booking, a certificate."""
    from django.test import Client

    from ewtp.catalog.models import Product
    from ewtp.learning.models import Certificate
    from ewtp.orders.models import Checkout
    from ewtp.tourism.models import Booking
    from ewtp.tourism.services.access import booking_access_token

    client = Client()
    product = Product.objects.filter(slug__contains="coffee").order_by("pk").first()
    assert product is not None
    cart = client.post("/api/v1/carts").json()["id"]
    client.post(
        f"/api/v1/carts/{cart}/lines",
        {"product_id": str(product.public_id), "quantity": 1},
        content_type="application/json",
    )
    checkout = client.post(
        f"/api/v1/carts/{cart}/checkout",
        {
            "email": "fuzz@example.be",
            "destination": "BE",
            "currency": "EUR",
            "shipping_address": {
                "name": "Anne Peeters",
                "line1": "Rue Neuve 12",
                "city": "Bruxelles",
                "postal_code": "1000",
            },
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="fuzz-checkout",
    ).json()
    order_token = Checkout.objects.get(public_id=checkout["checkout_id"]).access_token
    fresh_cart = client.post("/api/v1/carts").json()["id"]
    day = (timezone.now() + timedelta(days=20)).date().isoformat()
    booked = client.post(
        "/api/v1/tourism/experiences/golden-monkey-tracking/bookings",
        {
            "date": day,
            "email": "fuzz@example.be",
            "visitors": [
                {
                    "category": "foreign_non_resident",
                    "full_name": "Anne Peeters",
                    "nationality": "BE",
                    "birth_date": "1990-05-01",
                    "document_number": "EU1",
                }
            ],
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="fuzz-booking",
    ).json()
    booking = Booking.objects.get(public_id=booked["id"])
    booking_token = booking_access_token(booking)
    certificate = Certificate.objects.order_by("pk").first()
    assert certificate is not None
    order = {"order_id": checkout["orders"][0]["id"]}
    payment = {"payment_id": checkout["payment"]["id"]}
    return {
        "/api/v1/carts/{cart_id}": {"path_parameters": {"cart_id": fresh_cart}},
        "/api/v1/carts/{cart_id}/lines": {"path_parameters": {"cart_id": fresh_cart}},
        "/api/v1/carts/{cart_id}/checkout": {"path_parameters": {"cart_id": fresh_cart}},
        "/api/v1/orders/{order_id}": {"path_parameters": order, "query": {"token": order_token}},
        "/api/v1/orders/{order_id}/id-number": {
            "path_parameters": order,
            "query": {"token": order_token},
        },
        "/api/v1/payments/{payment_id}": {"path_parameters": payment},
        "/api/v1/payments/sandbox/{payment_id}/approve": {"path_parameters": payment},
        "/api/v1/tourism/experiences/{slug}": {
            "path_parameters": {"slug": "golden-monkey-tracking"}
        },
        "/api/v1/tourism/experiences/{slug}/availability": {
            "path_parameters": {"slug": "golden-monkey-tracking"}
        },
        "/api/v1/tourism/experiences/{slug}/bookings": {
            "path_parameters": {"slug": "golden-monkey-tracking"}
        },
        **{
            f"/api/v1/tourism/bookings/{{booking_id}}{tail}": {
                "path_parameters": {"booking_id": str(booking.public_id)},
                "query": {"token": booking_token},
            }
            for tail in ("", "/cancel", "/date", "/voucher")
        },
        "/api/v1/learning/courses/{slug}/enrolments": {
            "path_parameters": {"slug": "export-readiness"}
        },
        "/api/v1/certificates/{code}": {"path_parameters": {"code": certificate.code}},
        "/api/v1/learning/certificates/{code}/credential": {
            "path_parameters": {"code": certificate.code}
        },
        "/api/v1/logistics/hubs/{hub_code}/intake": {"path_parameters": {"hub_code": "KGL"}},
    }


@pytest.mark.django_db
def test_fuzzing_the_whole_api_as_a_guest_and_each_role_finds_no_server_error() -> None:
    call_command("loaddemo", stdout=io.StringIO())
    with _connection_kept():
        schema = _schema()
    operations = [result.ok() for result in schema.get_all_operations()]
    # Identity: schemathesis reads the body as sent (GZipMiddleware compresses otherwise).
    plain = {"Accept-Encoding": "identity"}
    callers: list[tuple[str, dict[str, str], int]] = [("guest", plain, GUEST_EXAMPLES)]
    for spec in USERS:
        _, clear = api_token_create(user=User.objects.get(email=spec.email), name="fuzz")
        callers.append((spec.email, plain | {"Authorization": f"Bearer {clear}"}, ROLE_EXAMPLES))
    seeds = _seeds()
    tally: Counter[str] = Counter()
    failures = []
    started = time.monotonic()
    with _connection_kept():
        failures = _fuzz_all(operations, callers, seeds, tally)
    print(
        f"\nAPI fuzzing: {len(operations)} operations x {len(callers)} callers = "
        f"{tally['operations']} runs ({tally['seeded']} aimed at real objects), "
        f"{tally['requests']} requests "
        f"({tally['2xx']} 2xx, {tally['4xx']} 4xx, {tally['5xx']} 5xx) "
        f"in {time.monotonic() - started:.0f} s; {len(failures)} failures"
    )
    assert failures == [], "\n\n".join(failures)


def _fuzz_all(
    operations: list[Any],
    callers: list[tuple[str, dict[str, str], int]],
    seeds: dict[str, dict[str, Any]],
    tally: Counter[str],
) -> list[str]:
    failures = []
    for who, headers, examples in callers:
        for operation in operations:
            tally["operations"] += 1
            failure = _fuzz(operation, headers, examples, tally)
            if failure:
                failures.append(f"[{who}] {failure}")
    # Aimed at real objects: valid and invalid bodies and queries against them.
    for operation in operations:
        seed = seeds.get(
            operation.path if operation.path.startswith("/api") else "/api/v1" + operation.path
        )
        if seed is None:
            continue
        for who, headers, examples in callers[:2]:
            tally["operations"] += 1
            tally["seeded"] += 1
            failure = _fuzz(operation, headers, examples, tally, seed)
            if failure:
                failures.append(f"[{who}, real object] {failure}")
    return failures
