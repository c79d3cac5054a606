"""Time one kind of request through Django's WSGI handler, as gunicorn calls it: every
middleware, ninja, the services and a persistent database connection, no test client.

    DATABASE_URL=postgres://… .venv/bin/python bench/wsgi_profile.py refusal 1000 [--profile]

PATH is one of: refusal (a booking on a sold-out day, a new Idempotency-Key each time),
booking (two visitors on a day with free places, a new Idempotency-Key each time), health, cart (open a cart), cartline (a line added to a new cart), checkout (a cart of two
sellers checked out), soldout (the same checkout refused: one of its products sold out since). Prints the wall and CPU time per request (and, on PostgreSQL, the CPU
its server process spent on them); with --profile, cProfile's
top functions by own time and by cumulative time for a second round of the same requests
(with --cpu as well, the process's CPU time rather than the wall time: waits on the database
then count for nothing).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import os
import pstats
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ADDRESS = {
    "name": "Guest",
    "line1": "Rue Neuve 1",
    "city": "Bruxelles",
    "postal_code": "1000",
    "country": "BE",
}


def setup() -> Any:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("EWTP_HTTPS", "off")
    os.environ.setdefault("EWTP_PAYMENT_PROVIDERS", "sandbox")
    os.environ.setdefault("EWTP_FX_MAX_AGE_DAYS", "0")
    os.environ.setdefault("EWTP_CONN_MAX_AGE", "600")  # as under `ewtp serve`
    os.environ["EWTP_RATE_LIMITS"] = "off"
    from bench._server import migrate

    migrate()
    import django

    django.setup()
    from bench.write_paths import World
    from ewtp.tourism.models import DailyCapacity
    from ewtp.tourism.services.capacity import capacity_row

    world = World()
    row = capacity_row(world.experience, datetime.date.fromisoformat(world.full_day))
    DailyCapacity.objects.filter(pk=row.pk).update(taken=row.capacity)
    return world


def caller() -> Callable[..., tuple[str, bytes]]:
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()

    def call(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        raw = json.dumps(body).encode() if body is not None else b""
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1:8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "10.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(raw)),
            "wsgi.input": io.BytesIO(raw),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        status: list[str] = []
        answer = handler(environ, lambda s, _h: status.append(s))
        data = b"".join(answer)
        answer.close()
        return status[0], data

    return call


def requests(world: Any, what: str, count: int) -> tuple[Callable[[Any], Any], list[Any]]:
    """(send one request, the argument of each request), the arguments prepared beforehand."""
    call = caller()

    def cart(_: Any = None) -> str:
        return str(json.loads(call("POST", "/api/v1/carts")[1])["id"])

    def line(cart_id: str, product: str) -> Any:
        body = {"product_id": product, "quantity": 1}
        return call("POST", f"/api/v1/carts/{cart_id}/lines", body)

    def filled(_: Any = None) -> str:
        cart_id = cart()
        for product in world.products:
            line(cart_id, product)
        return cart_id

    def refusal(_: Any) -> Any:
        body = world.booking_body(world.full_day, 2)
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        return call("POST", f"/api/v1/tourism/experiences/{world.slug}/bookings", body, headers)

    def booking(_: Any) -> Any:
        body = world.booking_body(world.day, 2)
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        return call("POST", f"/api/v1/tourism/experiences/{world.slug}/bookings", body, headers)

    def checkout(cart_id: str) -> Any:
        body = {"email": "guest@example.be", "destination": "BE", "currency": "EUR"}
        body["shipping_address"] = ADDRESS
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        return call("POST", f"/api/v1/carts/{cart_id}/checkout", body, headers)

    kinds: dict[str, tuple[Callable[[Any], Any], Callable[[], Any]]] = {
        "refusal": (refusal, lambda: None),
        "booking": (booking, lambda: None),
        "health": (lambda _: call("GET", "/api/v1/health"), lambda: None),
        "cart": (cart, lambda: None),
        "cartline": (lambda cart_id: line(cart_id, world.products[0]), cart),
        "checkout": (checkout, filled),
        "soldout": (checkout, filled),
    }
    send, prepare = kinds[what]
    prepared = [prepare() for _ in range(count)]
    if what == "soldout":  # the carts were filled while the coffee was still on sale
        from ewtp.catalog.models import StockLevel

        StockLevel.objects.filter(variant__product__public_id=world.products[0]).update(
            on_hand=0, reserved=0
        )
    return send, prepared


def backend_cpu() -> Callable[[], float]:
    """The CPU seconds used so far by this connection's PostgreSQL server process (read from
    /proc, the server being on this machine); 0 on SQLite, whose work is in this process."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return lambda: 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    ticks = os.sysconf("SC_CLK_TCK")

    def used() -> float:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    return used


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "path", choices=["refusal", "booking", "health", "cart", "cartline", "checkout", "soldout"]
    )
    parser.add_argument("count", type=int, nargs="?", default=500)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--cpu", action="store_true", help="profile the process's CPU time, not the wall time"
    )
    options = parser.parse_args()
    world = setup()
    send, arguments = requests(world, options.path, options.count + 5)
    for argument in arguments[:5]:  # warm-up
        print("warm-up answer:", send(argument)[0])
    arguments = arguments[5:]
    database_cpu = backend_cpu()
    started, cpu, database = time.perf_counter(), time.process_time(), database_cpu()
    for argument in arguments:
        send(argument)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    database = database_cpu() - database
    count = len(arguments)
    print(
        f"{options.path}: {count} requests, wall {wall / count * 1000:.2f} ms, "
        f"CPU {cpu / count * 1000:.2f} ms per request, the database's server process "
        f"{database / count * 1000:.2f} ms; load average {os.getloadavg()[0]:.2f}"
    )
    if options.profile:
        send, arguments = requests(world, options.path, options.count)
        profiler = cProfile.Profile(time.process_time) if options.cpu else cProfile.Profile()
        profiler.enable()
        for argument in arguments:
            send(argument)
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(50)
    return 0


if __name__ == "__main__":
    sys.exit(main())
