"""`ewtp orders expire-holds`: end the stock holds of unpaid orders past their time."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ewtp.orders.services.holds import holds_expire


class Command(BaseCommand):
    help = "Order maintenance: expire-holds (return the stock of unpaid orders past their hold)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", metavar="ACTION")
        commands.add_parser("expire-holds", help="expire unpaid orders whose hold has ended")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("action") != "expire-holds":
            raise CommandError("usage: ewtp orders expire-holds")
        total = 0
        while True:  # in batches, until nothing is due
            expired = holds_expire()
            total += expired
            if expired < 500:
                break
        self.stdout.write(f"expired {total} order hold(s)")
