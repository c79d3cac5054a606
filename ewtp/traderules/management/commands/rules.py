"""`ewtp rules import DIR` / `export DIR` / `schedule ID FILE` / `coverage`: trade-rule data in
the shipped format, a national schedule's update, and what the rules in force can quote."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ewtp.core.errors import DomainError
from ewtp.traderules.selectors.coverage import coverage
from ewtp.traderules.services.schedules import schedule_update_check, schedule_update_publish
from ewtp.traderules.services.versions import rules_export, rules_import, rules_import_check

INVALID = 2
# Examples of changed rows printed per table (the version page shows them all).
EXAMPLES = 5


def _summary(changes: dict[str, Any]) -> dict[str, Any]:
    """Counts per table (and per schedule) with the first few examples of each."""
    return {
        table: {
            **{key: value for key, value in counts.items() if key != "rows"},
            "examples": list(counts.get("rows", ()))[:EXAMPLES],
        }
        for table, counts in changes.items()
    }


class Command(BaseCommand):
    help = (
        "Import a rules directory (validated as a whole; a new rules version; --dry-run shows "
        "the changes only), export the rules in force (or --version LABEL) to a directory, "
        "update one national schedule from a file, or print the coverage of the rules in force."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(
            dest="action", required=True, metavar="import|export|schedule|coverage"
        )
        importing = commands.add_parser("import", help="import DIR as a new rules version")
        importing.add_argument("directory")
        importing.add_argument("--note", default="", help="why (shown in the version history)")
        importing.add_argument(
            "--dry-run", action="store_true", help="show what would change; write nothing"
        )
        exporting = commands.add_parser("export", help="write the rules to DIR")
        exporting.add_argument("directory")
        exporting.add_argument("--version", dest="label", default=None, help="a version label")
        schedule = commands.add_parser(
            "schedule", help="publish a new file of one national schedule as a new version"
        )
        schedule.add_argument("schedule", help="the schedule id (eu-cet-2020)")
        schedule.add_argument("file", help="the schedule file (CSV, the schedules format)")
        schedule.add_argument("--date", default="", help="the new schedule's date (YYYY-MM-DD)")
        schedule.add_argument("--note", default="", help="why (required to publish)")
        schedule.add_argument(
            "--dry-run", action="store_true", help="show what would change; write nothing"
        )
        covering = commands.add_parser(
            "coverage", help="HS 2022 subheadings quoted complete per destination (JSON)"
        )
        covering.add_argument("--destination", default=None, help="one country (ISO 3166-1)")
        covering.add_argument("--date", default=None, help="the day quoted (default today)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            body = getattr(self, f"_{options['action']}")(options)
        except DomainError as error:
            self.stdout.write(json.dumps(error.as_dict(), indent=2, ensure_ascii=False))
            raise CommandError(error.message, returncode=INVALID) from None
        self.stdout.write(json.dumps(body, indent=2, ensure_ascii=False))

    def _import(self, options: dict[str, Any]) -> dict[str, Any]:
        if options["dry_run"]:
            checked = rules_import_check(options["directory"])
            return {
                "dry_run": True,
                "based_on": checked["based_on"],
                "schedules": checked["schedules"],
                "changes": _summary(checked["changes"]),
            }
        version = rules_import(options["directory"], actor=None, note=options["note"])
        return {
            "version": version.label,
            "schedules": version.content.get("schedules", []),
            "changes": _summary(version.changes),
        }

    def _export(self, options: dict[str, Any]) -> dict[str, Any]:
        paths = rules_export(options["directory"], version=options["label"])
        return {"directory": options["directory"], "files": [p.name for p in paths]}

    def _schedule(self, options: dict[str, Any]) -> dict[str, Any]:
        path = Path(options["file"])
        try:
            upload = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}", returncode=INVALID) from None
        arguments = {
            "actor": None,
            "schedule": options["schedule"],
            "upload": upload,
            "schedule_date": options["date"],
            "file_name": path.name,
        }
        if options["dry_run"]:
            update = schedule_update_check(**arguments)
            return {"dry_run": True, **update.summary(), "changes": _summary(update.changes)}
        version = schedule_update_publish(**arguments, note=options["note"])
        return {"version": version.label, "changes": _summary(version.changes)}

    def _coverage(self, options: dict[str, Any]) -> dict[str, Any]:
        day = None
        if options["date"]:
            try:
                day = date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date is a date such as 2026-12-06", returncode=2) from None
        return coverage(options["destination"], day=day)
