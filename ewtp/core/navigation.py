"""The navigation registry: each app names the pages its users reach from the top bar.

An entry is shown to everyone, to logged-in users, or to members of an organisation of a given
kind (the platform operator's entries to the operator). The web layer decides who sees what and
skips an entry whose URL name does not resolve, so an app may register a page before it exists.
Apps register in their AppConfig.ready():

    from ewtp.core.navigation import NavEntry, register
    register(NavEntry(label=_("Seller dashboard"), url_name="catalog:seller_dashboard",
                      kind="seller", order=20))
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise

EVERYONE = "everyone"
LOGGED_IN = "logged_in"
PLATFORM_OPERATOR = "platform_operator"


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str
    # An organisation kind ("seller", "rule_steward", "platform_operator", ...), or EVERYONE,
    # or LOGGED_IN.
    kind: str = EVERYONE
    order: int = 50


_registry: dict[str, NavEntry] = {}


def register(entry: NavEntry) -> None:
    """Add an entry; registering the same URL name again replaces it."""
    _registry[entry.url_name] = entry


def unregister(url_name: str) -> None:
    _registry.pop(url_name, None)


def entries() -> list[NavEntry]:
    return sorted(_registry.values(), key=lambda entry: (entry.order, entry.url_name))
