"""What the rules in force cost a worker: the time to build their snapshot and the memory it holds.

Run against a database holding a rules version (``ewtp rules import data/rules`` loads the full
schedules; ``EWTP_RULES_SCHEDULES=off ewtp migrate`` on an empty database the curated rules only):

    DATABASE_URL=... python -m bench.rules_memory

Prints the seconds to read the version and build its snapshot (as a worker does on its first
quote), the resident memory the process gained (the rules held: content and snapshot), and the
tariff lines and taxes of the version.
"""

from __future__ import annotations

import gc
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from ewtp.traderules.engine import build_snapshot  # noqa: E402
from ewtp.traderules.selectors import snapshot as snapshot_selectors  # noqa: E402


def _rss_mb() -> float:
    """Resident set size now (Linux /proc), in MB."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 1_000_000


def main() -> None:
    from ewtp.traderules.selectors.hs import hs_subheadings

    hs_subheadings()  # the HS codes are held whatever the rules; not counted
    gc.collect()
    before = _rss_mb()
    started = time.perf_counter()
    rules = snapshot_selectors.current_rules()
    loaded = time.perf_counter() - started
    gc.collect()
    after = _rss_mb()
    started = time.perf_counter()
    from ewtp.traderules.content import ruleset_from_content

    build_snapshot(ruleset_from_content(rules.content))
    rebuilt = time.perf_counter() - started
    tables = rules.content.get("tables", {})
    print(f"rules version      {rules.label} ({rules.origin})")
    print(f"tariff lines       {len(tables.get('tariff_lines', ())):>10,}")
    print(f"taxes              {len(tables.get('taxes', ())):>10,}")
    print(f"read + build       {loaded:>10.2f} s   (snapshot build alone {rebuilt:.2f} s)")
    print(f"held by the worker {after - before:>10.1f} MB")


if __name__ == "__main__":
    main()
