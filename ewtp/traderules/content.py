"""The content of a rules version (tables in the file shapes) and its RuleSet for the engine."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ewtp.traderules.engine import RuleSet

TABLES = (
    "territories",
    "tariff_lines",
    "preferences",
    "additional_duties",
    "taxes",
    "fees",
    "documents",
    "sources",
)

# The order of keys regimes.json is written in (PostgreSQL's jsonb forgets the order of
# object keys, so the export restores it); keys not listed follow in alphabetical order.
_REGIME_KEY_ORDER = (
    "id",
    "name",
    "valid_from",
    "valid_to",
    "conditions",
    "treatment",
    "fees_exempt",
    "source",
    "confidence",
    "buyer_kind",
    "gift",
    "seller_ioss",
    "value_threshold",
    "annual_cap",
    "positive_list",
    "positive_list_confidence",
    "excluded_prefixes",
    "excluded_origins",
    "kind",
    "duty",
    "rate",
    "tax_base",
    "tax_factor",
    "tax_override",
    "taxes_collected_at",
    "flat_per_hs6",
    "amount",
    "currency",
    "on",
)
_KEY_RANK = {key: index for index, key in enumerate(_REGIME_KEY_ORDER)}


def regimes_object(pairs: Iterable[Sequence[Any]]) -> dict[str, list[dict[str, Any]]]:
    """regimes.json's object (territory -> ordered regimes) with its keys in file order."""
    return {str(territory): [_ordered(item) for item in items] for territory, items in pairs}


def _ordered(value: Any) -> Any:
    if isinstance(value, Mapping):
        keys = sorted(value, key=lambda key: (_KEY_RANK.get(key, len(_KEY_RANK)), key))
        return {key: _ordered(value[key]) for key in keys}
    if isinstance(value, list):
        return [_ordered(item) for item in value]
    return value


def ruleset_from_content(
    content: Mapping[str, Any],
    *,
    hs_subheadings: frozenset[str] = frozenset(),
    fx_rates: Sequence[Mapping[str, str]] = (),
    ecb_rates: tuple[tuple[str, str, str], ...] = (),
    version: str = "",
) -> RuleSet:
    tables = content.get("tables", {})

    def rows(name: str) -> tuple[dict[str, str], ...]:
        return tuple(dict(row) for row in tables.get(name, ()))

    return RuleSet(
        territories=rows("territories"),
        tariff_lines=rows("tariff_lines"),
        preferences=rows("preferences"),
        additional_duties=rows("additional_duties"),
        taxes=rows("taxes"),
        fees=rows("fees"),
        documents=rows("documents"),
        fx_rates=tuple(dict(row) for row in fx_rates),
        regimes=regimes_object(content.get("regimes", ())),
        sources=rows("sources"),
        hs_subheadings=hs_subheadings,
        ecb_rates=ecb_rates,
        version=version,
    )


def content_of(ruleset: RuleSet) -> dict[str, Any]:
    """A RuleSet's tables in the shape a RuleVersion stores."""
    return {
        "tables": {name: [dict(row) for row in getattr(ruleset, name)] for name in TABLES},
        "regimes": [[territory, list(items)] for territory, items in ruleset.regimes.items()],
    }
