"""Benchmark of the in-process landed-cost engine (contract: a 3-line quote well under 100 µs).

Run from the repository root: ``.venv/bin/python bench/landed_cost_engine.py [--profile]``.
The rule snapshot is built once from the shipped files. Each case runs ``--rounds`` timed
runs of ``--number`` quotes in one process (one core); the best run is the figure without
interference from other processes, the median what a busy machine gives. Each run is timed
in wall-clock and in CPU time of the process (``time.process_time``): on a shared machine the
CPU figure is the one to compare. Prints figures only; never fails on timing.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ewtp.traderules.engine import RuleSet, build_snapshot, quote  # noqa: E402
from ewtp.traderules.engine.files import load_shipped_ruleset  # noqa: E402
from ewtp.traderules.schedules import context_of, read_schedules  # noqa: E402

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def request(destination: str, currency: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "origin": "RW",
        "destination": destination,
        "date": "2026-03-20",
        "incoterm": "DDP",
        "buyer": {"kind": "consumer"},
        "proof_of_origin": True,
        "shipping": {"amount": "25.00", "currency": "USD"},
        "insurance": {"amount": "2.00", "currency": "USD"},
        "lines": [
            {
                "id": "coffee",
                "hs_code": "0901.21",
                "quantity": 3,
                "unit_price": {"amount": "12000", "currency": "RWF"},
                "unit_weight_kg": "0.5",
            },
            {
                "id": "tea",
                "hs_code": "0902.40",
                "quantity": 2,
                "unit_price": {"amount": "9000", "currency": "RWF"},
                "unit_weight_kg": "1",
            },
            {
                "id": "basket",
                "hs_code": "4602.19.90",
                "quantity": 1,
                "unit_price": {"amount": "45000", "currency": "RWF"},
                "unit_weight_kg": "0.8",
            },
        ],
    }
    if currency:
        body["currency"] = currency
    return body


CASES = {
    # The same 3 lines (coffee, tea, a basket) to each destination.
    "RW->BE": request("BE"),
    "RW->CN": request("CN"),
    "RW->US": request("US"),
    "RW->BE shown in USD": request("BE", "USD"),
}


def measure(
    body: dict[str, object], snapshot: object, rounds: int, number: int
) -> tuple[list[float], list[float]]:
    """Seconds per quote, wall-clock and CPU, in each of ``rounds`` runs of ``number`` quotes."""
    wall, cpu = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(number):
            quote(body, snapshot, now=NOW)  # type: ignore[arg-type]
        cpu.append((time.process_time() - start_cpu) / number)
        wall.append((time.perf_counter() - start) / number)
    return wall, cpu


def with_schedules(ruleset: RuleSet) -> RuleSet:
    """The shipped rules with the full schedules of data/rules/schedules (as an import)."""
    tables = {
        "territories": ruleset.territories,
        "tariff_lines": ruleset.tariff_lines,
        "taxes": ruleset.taxes,
        "sources": ruleset.sources,
    }
    found = read_schedules(
        ROOT / "data" / "rules" / "schedules", context_of(tables, ruleset.hs_subheadings)
    )
    if found.issues:
        raise SystemExit(f"schedules: {found.issues[0]}")
    return replace(
        ruleset,
        tariff_lines=(*ruleset.tariff_lines, *found.tariff_lines),
        taxes=(*ruleset.taxes, *found.taxes),
        sources=(*ruleset.sources, *found.sources),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", action="store_true", help="cProfile the RW->BE case")
    parser.add_argument("--rounds", type=int, default=40, help="timed runs per case")
    parser.add_argument("--number", type=int, default=1000, help="quotes per run")
    parser.add_argument(
        "--schedules", action="store_true", help="with the full schedules (data/rules/schedules)"
    )
    args = parser.parse_args()

    ruleset = load_shipped_ruleset(ROOT / "data")
    if args.schedules:
        ruleset = with_schedules(ruleset)
    start = time.perf_counter()
    snapshot = build_snapshot(ruleset)
    print(
        f"snapshot built in {(time.perf_counter() - start) * 1000:.1f} ms (once per rules version)"
    )

    if args.profile:
        body = CASES["RW->BE"]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.number):
            quote(body, snapshot, now=NOW)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
        return

    for name, body in CASES.items():
        regime = quote(body, snapshot, now=NOW)["regime"]["id"]  # warm up; fails loudly if bad
        timings, cpu = measure(body, snapshot, args.rounds, args.number)
        best, median, best_cpu = min(timings), statistics.median(timings), min(cpu)
        print(
            f"{name:20s} {regime:14s} best {best * 1e6:6.1f} µs/quote ({1 / best:8,.0f} quotes/s)  "
            f"median {median * 1e6:6.1f} µs ({1 / median:8,.0f} quotes/s)  "
            f"CPU best {best_cpu * 1e6:6.1f} µs ({1 / best_cpu:8,.0f} quotes/s)"
        )


if __name__ == "__main__":
    main()
