"""Every page and API route, as a guest and as several roles, with hostile parameters: a NUL
byte, a page number over 2^63, a 5,000-character search, identifiers that are not UUIDs or that
name nothing, dates that do not exist. Not one answer is a server error."""

from __future__ import annotations

import io
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from ewtp.accounts.models import User

HUGE = str(2**63)  # one more than the largest 64-bit integer
LONG = "a" * 5000
NUL = "\x00"
SKIPPED = ("admin/", "sim/momo/", "i18n/", "accounts/logout/")
ROLES = ("operator@demo.ewtp.rw", "seller@demo.ewtp.rw", "buyer@demo.ewtp.rw")
CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")

# Real values for the names of path parameters, by the route's first segment.
REAL = {
    ("shop", "slug"): "huye-coffee-huye-mountain-roasted-coffee-beans-500-g",
    ("shop", "org"): "huye-coffee",
    ("orders", "org"): "huye-coffee",
    ("accounts", "slug"): "huye-coffee",
    ("visit", "slug"): "golden-monkey-tracking",
    ("learn", "slug"): "export-readiness",
    ("hubs", "code"): "KGL",
    ("rules", "code"): "RW",
    ("rules", "table"): "tariffs",
    ("customs", "slug"): "huye-coffee",
    ("api", "slug"): "golden-monkey-tracking",
    ("api", "hub_code"): "KGL",
}
QUERIES = [
    {"page": HUGE},
    {"q": NUL, "currency": NUL},  # refused at the door, whatever the page
    {
        "q": LONG,
        "page": "-1",
        "per_page": HUGE,
        "sort": LONG,
        "currency": "XXX",
        "destination": "ZZ",
    },
    {
        "from": "2026-02-31",
        "to": "0000-00-00",
        "date": HUGE,
        "on": "-" + HUGE,
        "category": LONG,
        "status": "\u00a7",
        "kind": LONG,
        "purpose": LONG,
        "origin": "\U0001f600",
        "seller": LONG,
        "price_min": "1e999",
        "price_max": "NaN",
        "weight_kg": "-1e309",
        "token": LONG,
        "t": LONG,
        "next": "//evil.example/",
    },
]


def _routes(patterns: list[object], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if not route.startswith(SKIPPED) and not route.startswith("^"):
                yield route


def _fill(route: str, hostile: bool) -> str:
    section = route.split("/", 1)[0]

    def value(match: re.Match[str]) -> str:
        kind, name = match.group("kind") or "str", match.group("name")
        if kind == "uuid":
            return str(uuid.uuid4())  # names nothing
        if kind == "int" or name in {"pk", "id"}:
            return HUGE if hostile else "1"
        if hostile:
            return "%00" if kind == "str" else "x" * 300
        return REAL.get((section, name), "no-such-thing")

    return "/" + CONVERTER.sub(value, route).replace("^", "").replace("$", "")


@pytest.mark.django_db
def test_hostile_parameters_on_every_page_and_route_give_no_server_error() -> None:
    call_command("loaddemo", stdout=io.StringIO())
    routes = sorted(set(_routes(get_resolver().url_patterns)))
    callers = [("guest", Client(raise_request_exception=False))]
    for email in ROLES:
        client = Client(raise_request_exception=False)
        client.force_login(User.objects.get(email=email))
        callers.append((email, client))
    tally: Counter[str] = Counter()
    errors: list[str] = []
    started = time.monotonic()
    for who, client in callers:
        for route in routes:
            paths = {_fill(route, hostile=False), _fill(route, hostile=True)}
            for path in sorted(paths):
                for query in QUERIES:
                    status = _get(client, path, query)
                    tally["requests"] += 1
                    tally[f"{status // 100}xx"] += 1
                    if status >= 500:
                        errors.append(f"{who} GET {path[:120]} {sorted(query)} -> {status}")
    print(
        f"\nhostile parameters: {len(routes)} routes x {len(callers)} callers, "
        f"{tally['requests']} requests ({tally['2xx']} 2xx, {tally['3xx']} 3xx, "
        f"{tally['4xx']} 4xx, {tally['5xx']} 5xx) in {time.monotonic() - started:.0f} s"
    )
    assert errors == [], "\n".join(errors[:80])


def _get(client: Client, path: str, query: dict[str, str]) -> int:
    """One GET in a savepoint (on PostgreSQL a failed statement would end the test's
    transaction); a database error is a server error like any other."""
    status = 500
    with suppress(DatabaseError), transaction.atomic():
        status = client.get(path, query).status_code
    return status
