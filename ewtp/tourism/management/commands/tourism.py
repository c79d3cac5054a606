"""`ewtp tourism expire-holds`: give back the places of holds past their time.

`ewtp tourism retry-refunds` sends refunds the payment provider did not take yet.
Both are safe to run at any time (cron, or the task worker's schedule).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from ewtp.tourism.services.changes import refunds_retry
from ewtp.tourism.services.holds import holds_expire


class Command(BaseCommand):
    help = "Tourism tools: `expire-holds` releases unpaid holds; `retry-refunds` resends refunds."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["expire-holds", "retry-refunds"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "expire-holds":
            self.stdout.write(f"expired holds: {holds_expire()}")
        else:
            self.stdout.write(f"refunds sent: {refunds_retry()}")
