"""`ewtp fx import FILE`: exchange rates from an ECB CSV or the platform's own rate CSV;
`ewtp fx fetch [--url URL]`: the ECB's daily reference rates from EWTP_FX_URL."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ewtp.core.errors import DomainError
from ewtp.traderules.services.fx import fx_import
from ewtp.traderules.services.fx_fetch import fx_fetch

INVALID = 2


class Command(BaseCommand):
    help = (
        "Import exchange rates: an ECB euro reference file (history or one-day shape) or a "
        "rate table (date,currency,units_per_eur,source[,confidence,note]). Idempotent."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(
            dest="action", required=True, metavar="import|fetch|carry-forward"
        )
        importing = commands.add_parser("import", help="import a rate file")
        importing.add_argument("file")
        importing.add_argument(
            "--origin",
            choices=["rule_table", "operator"],
            default=None,
            help="origin recorded for a rate table (default rule_table; ECB files are ecb)",
        )

        fetching = commands.add_parser("fetch", help="fetch the ECB's daily rates (EWTP_FX_URL)")
        fetching.add_argument("--url", default=None, help="another URL than EWTP_FX_URL")
        commands.add_parser(
            "carry-forward",
            help="demo only: enter each stale currency's newest rate again for today, as the "
            "operator (`make run` does this so that the demo shop can sell)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "carry-forward":
                from ewtp.traderules.demo import demo_rates_carry_forward

                self.stdout.write(json.dumps({"carried_forward": demo_rates_carry_forward()}))
                return
            if options["action"] == "fetch":
                result = fx_fetch(options["url"])
            else:
                result = fx_import(options["file"], actor=None, origin=options["origin"])
        except DomainError as error:
            self.stdout.write(json.dumps(error.as_dict(), indent=2, ensure_ascii=False))
            raise CommandError(error.message, returncode=INVALID) from None
        self.stdout.write(json.dumps(result.as_dict(), indent=2))
