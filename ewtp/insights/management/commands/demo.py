"""`ewtp demo orders N`: N more orders of demo history (for benchmarks), written in bulk."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ewtp.insights import demo_history as history


class Command(BaseCommand):
    help = "Generate more demo data: `ewtp demo orders N` adds N orders of history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["orders"])
        parser.add_argument("count", type=int)
        parser.add_argument("--seed", type=int, default=None, help="default: from the time")
        parser.add_argument("--days", type=int, default=365)

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["count"]
        if count < 1 or count > 10_000_000:
            raise CommandError("count: a whole number from 1 to 10000000")
        if options["days"] < 1:
            raise CommandError("--days: at least 1")
        seed = options["seed"] if options["seed"] is not None else time.time_ns() % 2**31
        started = time.monotonic()
        written = history.orders_generate(count, seed=seed, days=options["days"], tag=f"s{seed}x")
        self.stdout.write(
            f"{written} orders of demo history written in {time.monotonic() - started:.1f} s "
            f"(seed {seed})\n"
        )
