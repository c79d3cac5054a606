"""`ewtp quote [FILE] [--explain]`: a landed-cost quote from a request JSON (landed-cost.md)."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ewtp.traderules.engine import explain_table
from ewtp.traderules.errors import QuoteRejectedError
from ewtp.traderules.selectors.snapshot import quote_compute

REJECTED = 2


def dumps(body: Any) -> str:
    """Deterministic JSON: indent 2, keys in the order the contract lists them."""
    return json.dumps(body, indent=2, ensure_ascii=False)


class Command(BaseCommand):
    help = (
        "Print a landed-cost quote for the request JSON in FILE (or standard input). "
        "Exit status 0 for a quote, 2 for a rejected request (the error JSON is printed too)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", help="request JSON file (default: standard input)")
        parser.add_argument(
            "--explain", action="store_true", help="print a readable table instead of JSON"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options.get("file")
        try:
            text = (
                Path(name).read_text(encoding="utf-8") if name and name != "-" else sys.stdin.read()
            )
        except OSError as error:
            raise CommandError(f"cannot read {name}: {error.strerror}") from None
        try:
            request = json.loads(text)
        except ValueError:
            self._reject(
                QuoteRejectedError(
                    "invalid_request",
                    "The request is not valid JSON.",
                    fields={"body": "not valid JSON"},
                )
            )
        try:
            response = quote_compute(request)
        except QuoteRejectedError as error:
            self._reject(error)
        self.stdout.write(explain_table(response) if options["explain"] else dumps(response))

    def _reject(self, error: QuoteRejectedError) -> None:
        self.stdout.write(dumps(error.as_dict()))
        raise CommandError(f"the request was rejected: {error.code}", returncode=REJECTED)
