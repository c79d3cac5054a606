"""`ewtp payments payouts|reconcile|tasks`: the operator's payment tools from the shell.

- `payouts`: make a payout batch now (what the worker does every EWTP_PAYOUT_EVERY_DAYS).
- `reconcile [--day YYYY-MM-DD] [--provider NAME]`: compare a day's provider statements with
  the platform's records (default: yesterday, every provider in use); prints the differences.
- `tasks`: the parked money tasks, with their reasons.
Each prints JSON.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ewtp.core import clock
from ewtp.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Payment tools: `payouts` makes a batch now, `reconcile` a day, `tasks` lists parked ones."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["payouts", "reconcile", "tasks"])
        parser.add_argument("--day", default="", help="YYYY-MM-DD (reconcile; default yesterday)")
        parser.add_argument("--provider", default="", help="one provider (reconcile)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "payouts":
            result: object = self._payouts()
        elif action == "reconcile":
            result = self._reconcile(options["day"], options["provider"])
        else:
            from ewtp.payments.models import MoneyTask

            result = [
                {"name": t.name, "key": t.key, "attempts": t.attempts, "reason": t.last_error}
                for t in MoneyTask.objects.filter(status=MoneyTask.Status.PARKED)
            ]
        self.stdout.write(json.dumps(result))

    def _payouts(self) -> object:
        from ewtp.payments.payouts import payouts_run

        try:
            payouts = payouts_run()
        except DomainError as error:
            raise CommandError(error.message) from None
        return [
            {
                "id": str(p.public_id),
                "organisation": p.organisation.name,
                "amount": p.amount.as_dict(),
                "status": p.status,
            }
            for p in payouts
        ]

    def _reconcile(self, day_text: str, provider: str) -> object:
        from ewtp.payments.models import ProviderDifference
        from ewtp.payments.reconcile import providers_in_use, reconcile_day

        try:
            day = date.fromisoformat(day_text) if day_text else clock.today() - timedelta(days=1)
        except ValueError:
            raise CommandError("--day must be YYYY-MM-DD") from None
        names = [provider] if provider else providers_in_use()
        for name in names:
            reconcile_day(provider_name=name, day=day)
        found = ProviderDifference.objects.filter(day=day, provider__in=names)
        return [
            {
                "provider": d.provider,
                "record": d.record,
                "reference": d.reference,
                "kind": d.kind,
                "ours": d.ours,
                "theirs": d.theirs,
            }
            for d in found
        ]
