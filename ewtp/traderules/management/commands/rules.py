"""`ewtp rules import DIR` / `ewtp rules export DIR`: trade-rule data in the shipped format."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ewtp.core.errors import DomainError
from ewtp.traderules.extensions import rules_subcommands
from ewtp.traderules.services.versions import rules_export, rules_import

INVALID = 2


class Command(BaseCommand):
    help = (
        "Import a rules directory (validated as a whole; a new rules version) or export the "
        "rules in force (or --version LABEL) to a directory, in the shipped file format."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        extra = rules_subcommands()
        metavar = "|".join(["import", "export", *extra])
        commands = parser.add_subparsers(dest="action", required=True, metavar=metavar)
        importing = commands.add_parser("import", help="import DIR as a new rules version")
        importing.add_argument("directory")
        importing.add_argument("--note", default="", help="why (shown in the version history)")
        exporting = commands.add_parser("export", help="write the rules to DIR")
        exporting.add_argument("directory")
        exporting.add_argument("--version", dest="label", default=None, help="a version label")
        for name, subcommand in extra.items():
            subcommand.add_arguments(commands.add_parser(name, help=subcommand.help))

    def handle(self, *args: Any, **options: Any) -> None:
        extra = rules_subcommands().get(options["action"])
        body: dict[str, Any]
        try:
            if extra is not None:
                body = extra.run(options, self.stdout, self.stderr)
            elif options["action"] == "import":
                version = rules_import(options["directory"], actor=None, note=options["note"])
                body = {
                    "version": version.label,
                    "changes": {
                        table: {key: value for key, value in counts.items() if key != "rows"}
                        for table, counts in version.changes.items()
                    },
                }
            else:
                paths = rules_export(options["directory"], version=options["label"])
                body = {"directory": options["directory"], "files": [p.name for p in paths]}
        except DomainError as error:
            self.stdout.write(json.dumps(error.as_dict(), indent=2, ensure_ascii=False))
            raise CommandError(error.message, returncode=INVALID) from None
        self.stdout.write(json.dumps(body, indent=2, ensure_ascii=False))
