"""Two versions of the landed-cost engine side by side, in one process, in the same minutes.

On a shared machine two benchmark runs minutes apart measure the neighbours as much as the
code. This loads a second copy of the engine (``--against``: a folder holding another
version of ``ewtp/traderules/engine``, e.g. from ``git archive main ewtp/traderules/engine |
tar -x -C /tmp/main``) next to this tree's, builds each one's snapshot of the same rules
(with the full schedules), checks that both answer every case with the same response, then
times them in alternating runs (CPU time, ``time.process_time``) and prints each one's best
and median quotes per second per case.

    .venv/bin/python bench/landed_cost_engine_ab.py --against /tmp/main/ewtp/traderules/engine
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.landed_cost_engine import CASES, NOW, with_schedules  # noqa: E402
from ewtp.traderules.engine.files import load_shipped_ruleset  # noqa: E402


def _load(folder: Path, name: str, scratch: Path) -> ModuleType:
    """The engine package in ``folder`` imported as the top-level package ``name``."""
    shutil.copytree(folder, scratch / name, ignore=shutil.ignore_patterns("__pycache__"))
    return importlib.import_module(name)


def _run(engine: ModuleType, snapshot: Any, body: dict[str, Any], number: int) -> float:
    quote = engine.quote
    start = time.process_time()
    for _ in range(number):
        quote(body, snapshot, now=NOW)
    return (time.process_time() - start) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--against", type=Path, required=True, help="the other engine folder")
    parser.add_argument("--rounds", type=int, default=15, help="alternating runs per case")
    parser.add_argument("--number", type=int, default=1000, help="quotes per run")
    args = parser.parse_args()

    ruleset = with_schedules(load_shipped_ruleset(ROOT / "data"))
    with tempfile.TemporaryDirectory() as scratch:
        sys.path.insert(0, scratch)
        engines = {
            "other": _load(args.against, "engine_other", Path(scratch)),
            "this": _load(ROOT / "ewtp" / "traderules" / "engine", "engine_this", Path(scratch)),
        }
    snapshots = {name: engine.build_snapshot(ruleset) for name, engine in engines.items()}
    for case, body in CASES.items():
        answers = {
            name: engine.quote(body, snapshots[name], now=NOW, quote_id="q")
            for name, engine in engines.items()
        }
        if answers["other"] != answers["this"]:
            raise SystemExit(f"{case}: the two engines answer differently")
    print(
        f"{'case':22s} {'other best':>12s} {'this best':>12s} {'other med':>12s} {'this med':>12s}"
    )
    for case, body in CASES.items():
        times: dict[str, list[float]] = {name: [] for name in engines}
        for _ in range(args.rounds):
            for name, engine in engines.items():
                times[name].append(_run(engine, snapshots[name], body, args.number))
        best = {name: 1 / min(values) for name, values in times.items()}
        median = {name: 1 / statistics.median(values) for name, values in times.items()}
        print(
            f"{case:22s} {best['other']:12,.0f} {best['this']:12,.0f} "
            f"{median['other']:12,.0f} {median['this']:12,.0f}   "
            f"best x{best['this'] / best['other']:.3f}"
        )


if __name__ == "__main__":
    main()
