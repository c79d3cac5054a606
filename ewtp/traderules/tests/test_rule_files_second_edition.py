"""Rule files of the second edition: every bad cell is refused naming its file, row and column,
and nothing is written; files of the first edition (without the new columns) still import."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from ewtp.core.models import AuditLog
from ewtp.traderules.errors import RulesInvalid
from ewtp.traderules.models import Fee, RuleVersion, TariffLine, Tax
from ewtp.traderules.services.versions import rules_import

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        RuleVersion.objects.count(),
        TariffLine.objects.count(),
        Tax.objects.count(),
        Fee.objects.count(),
        AuditLog.objects.count(),
    )


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _refused(rules_dir: Path) -> dict[str, str]:
    before = _counts()
    with pytest.raises(RulesInvalid) as caught:
        rules_import(rules_dir, actor=None)
    assert caught.value.code == "invalid_rules"
    assert "nothing was written" in caught.value.message
    assert _counts() == before
    return dict(caught.value.fields)


def test_an_unknown_unit_is_refused(rules_dir: Path) -> None:
    # Row 96 of tariff_lines.csv: US honey, USD 0.019 per kg.
    _replace(rules_dir / "tariff_lines.csv", ",0.019,USD,kg,", ",0.019,USD,gallon,")
    assert _refused(rules_dir) == {
        "tariff_lines.csv:96:mfn_specific_per": "Value 'gallon' is not a valid choice."
    }


def test_a_malformed_rate_and_amount_are_refused(rules_dir: Path) -> None:
    _replace(rules_dir / "taxes.csv", "FR,vat,09,0.055,", "FR,vat,09,5.5%,")
    _replace(rules_dir / "fees.csv", "USD,consignment,2.69,,2500", "USD,consignment,USD 2.69,,2500")
    _replace(rules_dir / "taxes.csv", "S60,high,reduced,foodstuffs", "S60,high,lowered,foodstuffs")
    assert _refused(rules_dir) == {
        "taxes.csv:68:rate": "Enter a plain decimal number such as 0.075.",
        "taxes.csv:68:rate_kind": "Value 'lowered' is not a valid choice.",
        "fees.csv:9:amount": "Enter a plain decimal number such as 0.075.",
    }


def test_overlapping_dates_are_refused(rules_dir: Path) -> None:
    # A second row for EU 0901.21 from 2025-01-01 overlaps row 3 (from 2020-01-01, open).
    text = (rules_dir / "tariff_lines.csv").read_text(encoding="utf-8")
    rows = text.splitlines()
    rows.append('EU,090121,"Coffee, roasted",0.08,,,,2025-01-01,,S09,high,,true,')
    (rules_dir / "tariff_lines.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    fields = _refused(rules_dir)
    assert fields == {
        f"tariff_lines.csv:{len(rows)}:valid_from": (
            "the dates overlap those of row 3 (same EU 090121)"
        )
    }


def test_a_line_that_is_not_computable_must_say_why(rules_dir: Path) -> None:
    _replace(
        rules_dir / "tariff_lines.csv",
        'EU,090121,"Coffee, roasted, not decaffeinated",0.075,,,,2020-01-01,,S09;S56,high,,true,',
        'EU,090121,"Coffee, roasted, not decaffeinated",,,,,2020-01-01,,S09;S56,high,eu,false,',
    )
    assert _refused(rules_dir) == {
        "tariff_lines.csv:3:not_computable_reason": (
            "Say why the duty of this line cannot be computed."
        )
    }


def test_files_of_the_first_edition_still_import(rules_dir: Path) -> None:
    # Drop the second edition's tariff-line and tax columns.
    for name, dropped in (
        ("tariff_lines.csv", ("schedule", "computable", "not_computable_reason")),
        ("taxes.csv", ("rate_kind", "category")),
    ):
        path = rules_dir / name
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
        columns = [column for column in rows[0] if column not in dropped]
        out = io.StringIO()
        writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
    rules_import(rules_dir, actor=None)
    line = TariffLine.objects.get(territory="EU", code="090121")
    assert (line.computable, line.schedule, line.not_computable_reason) == (True, "", "")
    assert Tax.objects.get(country="FR", hs_prefix="09").rate_kind == ""
