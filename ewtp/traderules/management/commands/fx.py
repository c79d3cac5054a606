"""`ewtp fx import FILE`: exchange rates from an ECB CSV or the platform's own rate CSV."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ewtp.core.errors import DomainError
from ewtp.traderules.services.fx import fx_import

INVALID = 2


class Command(BaseCommand):
    help = (
        "Import exchange rates: an ECB euro reference file (history or one-day shape) or a "
        "rate table (date,currency,units_per_eur,source[,confidence,note]). Idempotent."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True, metavar="import")
        importing = commands.add_parser("import", help="import a rate file")
        importing.add_argument("file")
        importing.add_argument(
            "--origin",
            choices=["rule_table", "operator"],
            default=None,
            help="origin recorded for a rate table (default rule_table; ECB files are ecb)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = fx_import(options["file"], actor=None, origin=options["origin"])
        except DomainError as error:
            self.stdout.write(json.dumps(error.as_dict(), indent=2, ensure_ascii=False))
            raise CommandError(error.message, returncode=INVALID) from None
        self.stdout.write(json.dumps(result.as_dict(), indent=2))
