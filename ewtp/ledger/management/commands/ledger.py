"""`ewtp ledger verify`: checks every ledger invariant and prints the result as JSON."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from ewtp.ledger.services import ledger_verify


class Command(BaseCommand):
    help = "Ledger tools: `verify` checks that every posting balances and every balance is right."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        result = ledger_verify()
        self.stdout.write(json.dumps(result))
        if not result["balanced"]:
            sys.exit(1)
