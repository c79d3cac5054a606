"""`ewtp loaddemo`: the Kigali hub demo scenario; running it twice changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ewtp.web.demo import load_all, print_logins


class Command(BaseCommand):
    help = "Load the demo scenario (idempotent) and print the demo log-ins."

    def handle(self, *args: Any, **options: Any) -> None:
        load_all(self.stdout)
        print_logins(self.stdout)
