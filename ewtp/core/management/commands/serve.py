"""`ewtp serve`: the production server (gunicorn), static files collected and served."""

from __future__ import annotations

import os
import shutil
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from ewtp.core import conf, signing


class Command(BaseCommand):
    help = "Serve the platform with gunicorn (persistent database connections, static files)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT")
        parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
        parser.add_argument("--threads", type=int, default=1)
        parser.add_argument("--timeout", type=int, default=60)

    def handle(self, *args: Any, **options: Any) -> None:
        problem = signing.configuration_problem()
        if problem:
            raise CommandError(problem)
        if not settings.DEBUG and not settings.SECRET_KEY_FROM_ENVIRONMENT:
            self.stderr.write(
                "SECRET_KEY is not set: using the development key in var/secret_key. "
                "Set SECRET_KEY in the environment for production."
            )
        call_command("collectstatic", interactive=False, verbosity=0)
        os.environ.setdefault("EWTP_CONN_MAX_AGE", "600")
        host, _, port = options["bind"].rpartition(":")
        self._metrics_directory(port)
        self.stdout.write(f"eWTP is serving on http://{host or '127.0.0.1'}:{port}/")
        sys.stdout.flush()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--timeout",
            str(options["timeout"]),
            "--access-logfile",
            conf.ACCESS_LOG(),
            "--error-logfile",
            "-",
            "--config",
            "python:config.gunicorn",
            # No limit on the request line here (gunicorn's default, 4094, and even its largest,
            # 8190, answer a long search with its own bare page: 5,000 characters of Chinese
            # are 45,000 bytes once encoded). The site shortens a long search and says so; nginx
            # in front bounds the line (large_client_header_buffers, deploy/nginx.conf).
            "--limit-request-line",
            "0",
        ]
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with gunicorn

    @staticmethod
    def _metrics_directory(port: str) -> None:
        """gunicorn's workers add up their Prometheus counters in one folder per server,
        emptied at start (a restarted server starts counting from zero, as Prometheus expects)."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return
        folder = conf.VAR_DIR() / "metrics" / (port or "8000")
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
