"""Doors other apps plug into trade rules through, without trade rules importing them.

- A rules resolver answers a quote's ``"rules": "<prefix>:<name>"`` with the snapshot to quote
  on (the rules forum registers ``proposal``); it raises a DomainError for an unknown name.
- A rules choices provider lists the rule sets the calculator offers (open proposals).
- A rules subcommand adds ``ewtp rules <name> ...`` (the forum adds ``propose`` and
  ``simulate``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ewtp.traderules.engine import Snapshot

RulesResolver = Callable[[str], Snapshot]


@dataclass(frozen=True)
class RulesSubcommand:
    name: str
    help: str
    add_arguments: Callable[[Any], None]
    run: Callable[..., Any]  # run(options, stdout, stderr) -> the JSON body to print


_resolvers: dict[str, RulesResolver] = {}
_choices: list[Callable[[], list[tuple[str, str]]]] = []
_subcommands: dict[str, RulesSubcommand] = {}


def register_rules_resolver(prefix: str, resolver: RulesResolver) -> None:
    _resolvers[prefix] = resolver


def rules_resolver(prefix: str) -> RulesResolver | None:
    return _resolvers.get(prefix)


def register_rules_subcommand(subcommand: RulesSubcommand) -> None:
    _subcommands[subcommand.name] = subcommand


def rules_subcommands() -> dict[str, RulesSubcommand]:
    return dict(_subcommands)


def register_rules_choices(provider: Callable[[], list[tuple[str, str]]]) -> None:
    """Rule sets a person may quote on besides the rules in force: (value, label) pairs."""
    if provider not in _choices:
        _choices.append(provider)


def rules_choices() -> list[tuple[str, str]]:
    return [choice for provider in _choices for choice in provider()]


# A preview of what publishing a content does to prices: (label of the version in force, the
# content to publish) -> rows {"product", "seller", "destination", "currency", "before",
# "after"} (the rules forum registers one that quotes the marketplace's products).
PublicationPreview = Callable[[str, dict[str, Any]], list[dict[str, Any]]]
_previews: list[PublicationPreview] = []


def register_publication_preview(provider: PublicationPreview) -> None:
    if provider not in _previews:
        _previews.append(provider)


def publication_preview(base_label: str, content: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The rows of every registered preview; None when no app previews prices."""
    if not _previews:
        return None
    return [row for provider in _previews for row in provider(base_label, content)]
