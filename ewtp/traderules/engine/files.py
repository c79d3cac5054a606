"""Read the shipped rule files (``data/rules``, ``data/hs``, ``data/fx``) into a RuleSet."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from . import cells
from .ruleset import Row, RuleSet

_MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}

RULE_FILES = (
    "territories",
    "tariff_lines",
    "preferences",
    "additional_duties",
    "taxes",
    "fees",
    "documents",
    "fx_rates",
)


def read_csv_rows(text: str) -> tuple[Row, ...]:
    """CSV text with a header row -> rows of str -> str (missing cells become "")."""
    reader = csv.DictReader(io.StringIO(text))
    rows: list[Row] = []
    for raw in reader:
        rows.append(
            {key: cells.restore(value or "") for key, value in raw.items() if key is not None}
        )
    return tuple(rows)


def _ecb_date(cell: str) -> str:
    """An ECB date cell: ISO ``2026-04-13`` (history file) or ``13 April 2026`` (daily file)."""
    cell = cell.strip()
    try:
        return date.fromisoformat(cell).isoformat() if len(cell) == 10 else _long_date(cell)
    except ValueError:
        return _long_date(cell)


def _long_date(cell: str) -> str:
    # Parsed by hand: strptime's %B depends on the process locale.
    parts = cell.split()
    if len(parts) != 3 or parts[1].lower() not in _MONTHS:
        raise ValueError(f"not an ECB date: {cell!r}")
    return date(int(parts[2]), _MONTHS[parts[1].lower()], int(parts[0])).isoformat()


def parse_ecb_csv(text: str) -> list[tuple[str, str, str]]:
    """Parse an ECB euro reference rate CSV (history or one-day shape).

    Returns ``(ISO date, currency, units per EUR)`` triples in file order; ``N/A`` and empty
    cells are skipped. Raises ValueError on a malformed file.
    """
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return []
    header = [cell.strip() for cell in rows[0]]
    if not header or header[0].lower() != "date":
        raise ValueError("an ECB rate file starts with a 'Date' column")
    out: list[tuple[str, str, str]] = []
    for row in rows[1:]:
        day = _ecb_date(row[0])
        for currency, cell in zip(header[1:], row[1:], strict=False):
            value = cell.strip()
            if not currency or not value or value.upper() == "N/A":
                continue
            try:
                rate = Decimal(value)
            except InvalidOperation as exc:
                raise ValueError(f"bad rate {value!r} for {currency} on {day}") from exc
            if not rate.is_finite() or rate <= 0:
                raise ValueError(f"bad rate {value!r} for {currency} on {day}")
            out.append((day, currency, value))
    return out


def merge_ecb_rates(
    series: Iterable[Iterable[tuple[str, str, str]]],
) -> tuple[tuple[str, str, str], ...]:
    """Concatenate parsed ECB files, keeping the first value seen for each (date, currency)."""
    seen: set[tuple[str, str]] = set()
    merged: list[tuple[str, str, str]] = []
    for triples in series:
        for day, currency, value in triples:
            if (day, currency) in seen:
                continue
            seen.add((day, currency))
            merged.append((day, currency, value))
    merged.sort()
    return tuple(merged)


# Comtrade's pseudo-codes in the shipped nomenclature file ("commodities not specified
# according to kind"): not HS 2022 chapters, headings or subheadings (data/hs/SOURCE.txt).
NOT_NOMENCLATURE = frozenset({"TOTAL", "99", "9999", "999999"})


def read_hs_subheadings(text: str) -> frozenset[str]:
    """The 6-digit subheadings (``level`` 6) of the HS 2022 nomenclature CSV."""
    return frozenset(
        row["hscode"].strip()
        for row in csv.DictReader(io.StringIO(text))
        if (row.get("level") or "").strip() == "6" and row["hscode"].strip() not in NOT_NOMENCLATURE
    )


def load_ruleset_from_files(
    rules_dir: str | Path,
    hs_csv: str | Path,
    ecb_files: Iterable[str | Path],
    version: str = "shipped",
) -> RuleSet:
    """Read the rule files of ``rules_dir``, the HS nomenclature and the ECB rate files."""
    rules = Path(rules_dir)
    tables = {
        name: read_csv_rows((rules / f"{name}.csv").read_text(encoding="utf-8"))
        for name in RULE_FILES
    }
    regimes = json.loads((rules / "regimes.json").read_text(encoding="utf-8"))
    sources = read_csv_rows((rules / "SOURCES.csv").read_text(encoding="utf-8"))
    hs = read_hs_subheadings(Path(hs_csv).read_text(encoding="utf-8"))
    ecb = merge_ecb_rates(parse_ecb_csv(Path(p).read_text(encoding="utf-8")) for p in ecb_files)
    return RuleSet(
        territories=tables["territories"],
        tariff_lines=tables["tariff_lines"],
        preferences=tables["preferences"],
        additional_duties=tables["additional_duties"],
        taxes=tables["taxes"],
        fees=tables["fees"],
        documents=tables["documents"],
        fx_rates=tables["fx_rates"],
        regimes=regimes,
        sources=sources,
        hs_subheadings=hs,
        ecb_rates=ecb,
        version=version,
    )


def load_shipped_ruleset(data_dir: str | Path, version: str = "shipped") -> RuleSet:
    """The rule set shipped under ``data/`` (rules, HS 2022, the ECB files in ``fx/``)."""
    base = Path(data_dir)
    return load_ruleset_from_files(
        base / "rules",
        base / "hs" / "harmonized-system.csv",
        sorted((base / "fx").glob("*.csv")),
        version=version,
    )
