"""Landed-cost benchmark: the engine in process, then the HTTP endpoint against health.

1. Builds the rule snapshot once from the shipped files and prices a 3-line RW -> BE request
   in a loop: quotes per second and microseconds per quote.
2. Migrates the database (DATABASE_URL, or the embedded SQLite file under EWTP_VAR_DIR), starts
   `ewtp serve` (gunicorn, 2 workers) on a free 127.0.0.1 port with EWTP_RATE_LIMITS=off, and
   measures requests per second of GET /api/v1/health and POST /api/v1/quotes with the same
   bounded number of requests from a few client processes (stdlib http.client, keep-alive
   where the server allows it). Prints both and their ratio (the contract asks >= 40%), then
   stops the server.

Run: .venv/bin/python bench/landed_cost.py [--requests 3000] [--clients 4] [--engine-quotes 20000]
A benchmark, not a test: it prints figures and never fails on timing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REQUEST: dict[str, Any] = {
    "origin": "RW",
    "destination": "BE",
    "date": "2026-11-26",
    "currency": "EUR",
    "incoterm": "DDP",
    "buyer": {"kind": "consumer"},
    "shipping": {"amount": "25.00", "currency": "USD"},
    "lines": [
        {
            "id": "a",
            "hs_code": "0901.21",
            "description": "Roasted coffee beans, 500 g",
            "quantity": 3,
            "unit_price": {"amount": "12000", "currency": "RWF"},
            "unit_weight_kg": "0.5",
        },
        {
            "id": "b",
            "hs_code": "0409.00",
            "description": "Natural honey, 250 g",
            "quantity": 2,
            "unit_price": {"amount": "6500", "currency": "RWF"},
            "unit_weight_kg": "0.3",
        },
        {
            "id": "c",
            "hs_code": "4602.19",
            "description": "Woven sisal basket",
            "quantity": 1,
            "unit_price": {"amount": "18000", "currency": "RWF"},
            "unit_weight_kg": "0.8",
        },
    ],
}


def engine_bench(count: int) -> tuple[float, float, float]:
    """(seconds to build the snapshot, quotes per second, microseconds per quote)."""
    from ewtp.traderules.engine import build_snapshot, load_shipped_ruleset, quote

    started = time.perf_counter()
    snapshot = build_snapshot(load_shipped_ruleset(ROOT / "data"))
    built = time.perf_counter() - started
    for _ in range(500):  # warm up
        quote(REQUEST, snapshot)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(count):
            quote(REQUEST, snapshot)
        best = min(best, time.perf_counter() - started)
    return built, count / best, best / count * 1e6


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _client(args: tuple[int, str, str, bytes | None, int]) -> int:
    """One client process: ``count`` requests on one (re)used connection; returns the failures."""
    port, method, path, body, count = args
    headers = {"Content-Type": "application/json"} if body is not None else {}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    failures = 0
    for _ in range(count):
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures += 1
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        except (OSError, http.client.HTTPException):
            failures += 1
            connection.close()
    connection.close()
    return failures


def http_bench(
    pool: Any, port: int, method: str, path: str, body: bytes | None, total: int, clients: int
) -> tuple[float, int]:
    """(requests per second, failures) for ``total`` requests spread over ``clients``."""
    share = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]
    started = time.perf_counter()
    failures = sum(pool.map(_client, [(port, method, path, body, n) for n in share]))
    elapsed = time.perf_counter() - started
    return total / elapsed, failures


def wait_until_up(port: int, server: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server stopped while starting; see its log")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the server did not answer /api/v1/health in time")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine-quotes", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=3000, help="per endpoint")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    return parser.parse_args()


def main() -> None:
    options = _arguments()

    built, per_second, micros = engine_bench(options.engine_quotes)
    print(f"engine: snapshot built in {built * 1000:.0f} ms (once)")
    print(f"engine: {per_second:,.0f} quotes/s, {micros:.1f} us/quote (3-line RW -> BE, 1 core)")

    env = {
        **os.environ,
        "EWTP_RATE_LIMITS": "off",
        "EWTP_HTTPS": "off",
        "EWTP_ACCESS_LOG": "/dev/null",
    }
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    ewtp = [sys.executable, "-m", "ewtp.cli"]
    database = env.get("DATABASE_URL") or f"sqlite ({env.get('EWTP_VAR_DIR', ROOT / 'var')})"
    print(f"server: database {database.split('@')[-1]}")
    subprocess.run([*ewtp, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)

    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="ewtp-bench-", suffix=".log", delete=False)
    server = subprocess.Popen(
        [*ewtp, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(options.workers)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_up(port, server)
        body = json.dumps(REQUEST).encode()
        check = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        check.request(
            "POST", "/api/v1/quotes", body=body, headers={"Content-Type": "application/json"}
        )
        answer = check.getresponse()
        quoted = json.loads(answer.read())
        print(
            f"server: {options.workers} gunicorn workers on 127.0.0.1:{port}; quote answers "
            f"{answer.status}, rules {quoted.get('rules_version')}, landed "
            f"{quoted.get('totals', {}).get('display', {}).get('landed')} {quoted.get('currency')}"
        )
        with multiprocessing.get_context("spawn").Pool(options.clients) as pool:
            # Warm every worker (its snapshot, its database connection) before measuring.
            http_bench(pool, port, "GET", "/api/v1/health", None, 200, options.clients)
            http_bench(pool, port, "POST", "/api/v1/quotes", body, 200, options.clients)
            # Alternate the endpoints over a few rounds, so that a change in the machine's
            # load during the run weighs on both alike.
            rounds = 3
            share = options.requests // rounds
            timing = {"health": 0.0, "quotes": 0.0}
            failures = {"health": 0, "quotes": 0}
            for _ in range(rounds):
                for name, method, path, payload in (
                    ("health", "GET", "/api/v1/health", None),
                    ("quotes", "POST", "/api/v1/quotes", body),
                ):
                    rate, failed = http_bench(
                        pool, port, method, path, payload, share, options.clients
                    )
                    timing[name] += share / rate
                    failures[name] += failed
            done = share * rounds
            health, health_failures = done / timing["health"], failures["health"]
            quotes, quote_failures = done / timing["quotes"], failures["quotes"]
        print(
            f"http: GET /api/v1/health  {health:,.0f} req/s "
            f"({done} requests, {options.clients} clients, {health_failures} failed)"
        )
        print(
            f"http: POST /api/v1/quotes {quotes:,.0f} req/s "
            f"({done} requests, {options.clients} clients, {quote_failures} failed)"
        )
        print(f"http: quotes / health = {quotes / health:.0%} (the contract asks >= 40%)")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
        print(f"server: stopped (log {log.name})")


if __name__ == "__main__":
    main()
