"""Shared by the benchmarks: a free port, `ewtp serve` (and `ewtp worker`) as subprocesses,
a JSON HTTP client with keep-alive per thread, and percentiles."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EWTP = ROOT / ".venv" / "bin" / "ewtp"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bench_env() -> dict[str, str]:
    env = dict(os.environ, EWTP_RATE_LIMITS="off", EWTP_HTTPS="off", EWTP_ACCESS_LOG="/dev/null")
    env.setdefault("EWTP_PAYMENT_PROVIDERS", "sandbox")  # the sandbox pays in the benchmarks
    env.setdefault("EWTP_FX_MAX_AGE_DAYS", "0")  # the shipped rates are old: sell on them
    return env


def migrate() -> None:
    subprocess.run([str(EWTP), "migrate", "--noinput", "-v", "0"], check=True, env=bench_env())


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@contextlib.contextmanager
def serving(workers: int = 4, *, with_worker: bool = False) -> Iterator[tuple[str, int]]:
    """`ewtp serve` on a free port (and `ewtp worker` beside it); yields (host, port)."""
    port = free_port()
    env = bench_env()
    server = subprocess.Popen(
        [str(EWTP), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = (
        subprocess.Popen(
            [str(EWTP), "worker", "--interval", "0.2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if with_worker
        else None
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                raise SystemExit(f"ewtp serve exited with {server.returncode}")
            try:
                status, _ = Client("127.0.0.1", port).request("GET", "/api/v1/health")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not come up in time")
            time.sleep(0.3)
        if worker is not None:
            settled(worker.pid)
        yield "127.0.0.1", port
    finally:
        if worker is not None:
            _stop(worker)
        _stop(server)


def settled(pid: int, quiet: float = 1.0, longest: float = 90) -> None:
    """Wait until the process (the task worker) has used no CPU for ``quiet`` seconds: its first
    round of periodic jobs, several seconds after it starts, is over, as on a hub whose worker has
    been running for a while (a race run during that round met a worker still busy with it, or
    asleep in it)."""
    ticks = os.sysconf("SC_CLK_TCK")

    def used() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    deadline, last, since = time.monotonic() + longest, used(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = used()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


class Client:
    """A keep-alive JSON client; one per thread."""

    def __init__(self, host: str, port: int, timeout: float = 30) -> None:
        self.connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        try:
            self.connection.request(method, path, body=payload, headers=all_headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection.request(method, path, body=payload, headers=all_headers)
            response = self.connection.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, raw.decode(errors="replace")


_local = threading.local()


def thread_client(host: str, port: int) -> Client:
    client = getattr(_local, "client", None)
    if client is None:
        client = _local.client = Client(host, port)
    return client


def cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by this machine's processes, by kind: the gunicorn workers
    ("server"), the task worker, PostgreSQL's processes and this benchmark ("client"); read from
    /proc (Linux), so a race's share of each is the difference of two readings."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {"server": 0.0, "task worker": 0.0, "postgres": 0.0, "client": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:  # the process ended while it was read
            continue
        kind = (
            "client"
            if int(entry.name) == os.getpid()
            else "postgres"
            if command.split(" ")[0].endswith("postgres") or command.startswith("postgres:")
            else "server"
            if "gunicorn" in command
            else "task worker"
            if " worker" in command and "ewtp" in command
            else None
        )
        if kind:
            used[kind] += (int(fields[11]) + int(fields[12])) / ticks
    return used


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
