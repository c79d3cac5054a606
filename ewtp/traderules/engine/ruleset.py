"""The raw rule data of one version, as plain values in the shipped file shapes.

Both the file loader and the database side build a ``RuleSet``; ``build_snapshot`` turns it
into the pre-indexed structure the quote reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Row = dict[str, str]
Rows = tuple[Row, ...]


@dataclass(frozen=True)
class RuleSet:
    """Rule rows exactly as in ``data/rules/*.csv`` (every cell a string)."""

    territories: Rows = ()
    tariff_lines: Rows = ()
    preferences: Rows = ()
    additional_duties: Rows = ()
    taxes: Rows = ()
    fees: Rows = ()
    documents: Rows = ()
    fx_rates: Rows = ()
    # regimes.json parsed: territory -> ordered list of regime objects.
    regimes: dict[str, Any] = field(default_factory=dict)
    sources: Rows = ()
    # 6-digit HS 2022 subheadings.
    hs_subheadings: frozenset[str] = frozenset()
    # ECB series: (ISO date, currency, units per EUR as a decimal string).
    ecb_rates: tuple[tuple[str, str, str], ...] = ()
    version: str = "shipped"
