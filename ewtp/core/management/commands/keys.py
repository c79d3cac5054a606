"""`ewtp keys rotate|list|generate`: the platform's signing keys (see ewtp/core/signing.py)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ewtp.core import signing


class Command(BaseCommand):
    help = (
        "Signing keys: `rotate` makes a new key the active one (the retired key stays published "
        "in /.well-known/ewtp-keys.json); `list` prints the key set as JSON; `generate` prints a "
        "new Ed25519 private key (PEM) for EWTP_SIGNING_KEY."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["rotate", "list", "generate"])

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "generate":
            self.stdout.write(signing.generate_pem(), ending="")
            return
        try:
            if action == "rotate":
                retired, active = signing.rotate()
                self.stdout.write(json.dumps({"active": active, "retired": retired}))
                return
            keys = [
                {"kid": kid, "status": "active" if active else "retired"}
                for kid, _raw, active in signing.published_keys()
            ]
            self.stdout.write(json.dumps({"keys": keys}))
        except signing.SigningKeyError as error:
            raise CommandError(str(error)) from None
