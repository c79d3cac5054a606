"""Real `ewtp serve` and `ewtp worker` processes against the test database, on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
EWTP = str(Path(sys.executable).with_name("ewtp"))
WEBHOOK_SECRET = "two-server-webhook-secret"


def database_url() -> str:
    """The URL of the database this test uses (the test database pytest-django made)."""
    conf = connection.settings_dict
    user = conf.get("USER") or "postgres"
    password = f":{conf['PASSWORD']}" if conf.get("PASSWORD") else ""
    host = conf.get("HOST") or "127.0.0.1"
    port = conf.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{conf['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("EWTP_", "PYTEST_", "DJANGO_"))
    }
    env.update(
        DATABASE_URL=database_url(),
        SECRET_KEY="two-server-test-" + "x" * 40,
        DEBUG="off",
        EWTP_RATE_LIMITS="off",
        EWTP_HTTPS="off",
        EWTP_PAYMENT_PROVIDERS="sandbox,momo-sim",
        # The shipped exchange rates are months old: the servers sell on them (the stale-rate
        # refusal has its own tests).
        EWTP_FX_MAX_AGE_DAYS="0",
        EWTP_CONN_MAX_AGE="0",
        EWTP_SANDBOX_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    env.update(extra)
    return env


def call(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> tuple[int, Any]:
    """One HTTP request to a server of ours; (status, JSON body or None)."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            status, content = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, content = error.code, error.read()
    try:
        return status, json.loads(content) if content else None
    except ValueError:
        return status, None


def wait_ready(base: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{base} exited: {log.read_text()[-2000:]}")
        try:
            if call(base, "GET", "/healthz/ready")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{base} not ready in {seconds} s: {log.read_text()[-2000:]}")


@contextmanager
def running(args: list[str], log: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [EWTP, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextmanager
def servers_and_workers(folder: Path, *, servers: int = 2, workers: int = 2) -> Iterator[list[str]]:
    """N `ewtp serve` (2 gunicorn workers each) and M `ewtp worker`s; yields the servers' URLs.
    Worker k delivers the sandbox's webhooks to server k mod N."""
    with ExitStack() as stack:
        bases = []
        for number in range(servers):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            log = folder / f"serve-{number}.log"
            metrics = folder / f"metrics-{number}"
            metrics.mkdir()
            process = stack.enter_context(
                running(
                    ["serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "90"],
                    log,
                    environment(PROMETHEUS_MULTIPROC_DIR=str(metrics)),
                )
            )
            wait_ready(base, process, log)
            bases.append(base)
        for number in range(workers):
            stack.enter_context(
                running(
                    ["worker", "--interval", "0.3"],
                    folder / f"worker-{number}.log",
                    environment(EWTP_WEBHOOK_BASE_URL=bases[number % servers]),
                )
            )
        yield bases
