"""`ewtp worker`: runs queued background tasks and the periodic jobs of every app."""

from __future__ import annotations

import logging
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from ewtp.core import periodic

logger = logging.getLogger("ewtp.worker")


class Command(BaseCommand):
    help = "Run the background task worker (task queue and periodic jobs)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=2.0,
            help="seconds to wait when there is nothing to do",
        )
        parser.add_argument(
            "--once", action="store_true", help="process what is due once, then exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        last_run: dict[str, float] = {}
        self.stdout.write("eWTP worker started")
        while True:
            close_old_connections()
            call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
            now = time.monotonic()
            for job in periodic.jobs():
                if options["once"] or now - last_run.get(job.name, -1e9) >= job.every_seconds:
                    last_run[job.name] = now
                    try:
                        result = job.run()
                    except Exception:  # one failing job must not stop the others
                        logger.exception("periodic job %s failed", job.name)
                    else:
                        logger.debug("periodic job %s: %s", job.name, result)
            if options["once"]:
                return
            time.sleep(options["interval"])
