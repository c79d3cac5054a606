"""Loading the shipped rule files into a RuleSet, and indexing it into a Snapshot."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ewtp.traderules.engine import (
    RuleSet,
    build_snapshot,
    explain_table,
    load_ruleset_from_files,
    parse_ecb_csv,
    quote,
)
from ewtp.traderules.engine.money import exponent, round_half_up

DATA = Path(__file__).resolve().parents[3] / "data"


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_ruleset_from_files(
        DATA / "rules",
        DATA / "hs" / "harmonized-system.csv",
        [
            DATA / "fx" / "eurofxref-recent-2025-01-01_to_latest.csv",
            DATA / "fx" / "eurofxref.csv",
        ],
        version="2026-11-26.3",
    )


def test_parse_ecb_history_shape_skips_na_cells() -> None:
    text = "Date,USD,BGN,JPY,\n2026-04-13,1.1684,N/A,186.75,\n2025-12-31,1.175,1.9558,,\n"
    assert parse_ecb_csv(text) == [
        ("2026-04-13", "USD", "1.1684"),
        ("2026-04-13", "JPY", "186.75"),
        ("2025-12-31", "USD", "1.175"),
        ("2025-12-31", "BGN", "1.9558"),
    ]


def test_parse_ecb_one_day_shape_with_spaces_and_trailing_comma() -> None:
    text = "Date, USD, JPY, GBP, \n13 April 2026, 1.1684, 186.75, 0.87058, \n"
    assert parse_ecb_csv(text) == [
        ("2026-04-13", "USD", "1.1684"),
        ("2026-04-13", "JPY", "186.75"),
        ("2026-04-13", "GBP", "0.87058"),
    ]


@pytest.mark.parametrize(
    "text",
    ["Currency,USD\n2026-04-13,1.1\n", "Date,USD\nyesterday,1.1\n", "Date,USD\n2026-04-13,abc\n"],
)
def test_parse_ecb_refuses_malformed_files(text: str) -> None:
    with pytest.raises(ValueError):
        parse_ecb_csv(text)


def test_shipped_files_load_in_their_shapes(ruleset: RuleSet) -> None:
    assert len(ruleset.territories) == 7
    assert len(ruleset.tariff_lines) == 140
    assert len(ruleset.taxes) == 312
    assert len(ruleset.fees) == 9
    assert len(ruleset.preferences) == 7
    assert len(ruleset.additional_duties) == 1
    assert len(ruleset.documents) == 8
    assert len(ruleset.fx_rates) == 34
    assert len(ruleset.hs_subheadings) == 5612
    assert {"090121", "040900", "330129"} <= ruleset.hs_subheadings
    assert "090199" not in ruleset.hs_subheadings
    assert list(ruleset.regimes) == ["EU", "GB", "US", "CN", "MY", "KE", "RW"]
    assert ruleset.tariff_lines[0] == {
        "territory": "EU",
        "code": "090111",
        "description": "Coffee, not roasted, not decaffeinated",
        "mfn_ad_valorem": "0",
        "mfn_specific_amount": "",
        "mfn_specific_currency": "",
        "mfn_specific_per": "",
        "valid_from": "2020-01-01",
        "valid_to": "",
        "source": "S09;S56",
        "confidence": "high",
        "schedule": "",
        "computable": "true",
        "not_computable_reason": "",
    }
    assert ruleset.version == "2026-11-26.3"


def test_ecb_files_are_merged_without_duplicates(ruleset: RuleSet) -> None:
    keys = [(day, currency) for day, currency, _ in ruleset.ecb_rates]
    assert len(keys) == len(set(keys))
    usd_last = [
        rate
        for day, currency, rate in ruleset.ecb_rates
        if (day, currency) == ("2026-04-13", "USD")
    ]
    assert usd_last == ["1.1684"]
    # BGN stops at 2025-12-31 (N/A afterwards, Bulgaria joined the euro).
    assert max(day for day, currency, _ in ruleset.ecb_rates if currency == "BGN") == "2025-12-31"


def test_snapshot_indexes(ruleset: RuleSet) -> None:
    snapshot = build_snapshot(ruleset)
    assert snapshot.version == "2026-11-26.3"
    assert snapshot.country_territory["BE"].code == "EU"
    assert snapshot.country_territory["GR"].code == "EU"
    assert snapshot.country_territory["US"].is_fob is True
    assert snapshot.country_territory["RW"].currency == "RWF"
    assert snapshot.tariffs["EU"].lengths == (8, 6)
    assert [r.id for r in snapshot.regimes["EU"]] == [
        "eu-gift-45",
        "eu-ioss-2021",
        "eu-low-value-relief-2021",
        "eu-low-value-2026",
        "eu-low-value-2026-non-ioss",
        "eu-gift-flat-700",
    ]
    assert snapshot.regimes["RW"] == ()
    assert "RWF" in snapshot.fx and "KES" in snapshot.fx and "EUR" not in snapshot.fx
    assert {"NGN", "XAF", "RWF", "BGN"} <= snapshot.currencies
    assert snapshot.sources["S30"] == "ECB euro reference rates"


def test_rule_data_is_validated_when_the_snapshot_is_built(ruleset: RuleSet) -> None:
    bad_date = replace(
        ruleset,
        fees=({**ruleset.fees[0], "valid_from": "2021-02-30"}, *ruleset.fees[1:]),
    )
    with pytest.raises(ValueError, match="fees row 2"):
        build_snapshot(bad_date)
    regimes = json.loads(json.dumps(ruleset.regimes))
    regimes["GB"][0]["conditions"]["max_item_value"] = {"amount": "39", "currency": "GBP"}
    with pytest.raises(ValueError, match="unknown condition"):
        build_snapshot(replace(ruleset, regimes=regimes))
    no_rate = ({**ruleset.tariff_lines[0], "mfn_ad_valorem": ""}, *ruleset.tariff_lines[1:])
    with pytest.raises(ValueError, match="neither an ad valorem nor a specific rate"):
        build_snapshot(replace(ruleset, tariff_lines=no_rate))
    twice = ({**ruleset.territories[1], "members": "US BE"},)
    with pytest.raises(ValueError, match="already belongs"):
        build_snapshot(replace(ruleset, territories=ruleset.territories[:1] + twice))


@pytest.mark.parametrize(
    ("currency", "places"), [("EUR", 2), ("RWF", 0), ("JPY", 0), ("BHD", 3), ("CLF", 4), ("KES", 2)]
)
def test_minor_units(currency: str, places: int) -> None:
    assert exponent(currency) == places


def test_round_half_up() -> None:
    from decimal import Decimal

    assert str(round_half_up(Decimal("0.125"), "EUR")) == "0.13"  # half up, not half even
    assert str(round_half_up(Decimal("2.5"), "RWF")) == "3"
    assert str(round_half_up(Decimal("1.0005"), "BHD")) == "1.001"


def test_explain_table_reads_like_the_quote(ruleset: RuleSet) -> None:
    snapshot = build_snapshot(ruleset)
    result = quote(
        {
            "origin": "RW",
            "destination": "US",
            "date": "2026-03-01",
            "currency": "EUR",
            "incoterm": "DAP",
            "shipping": {"amount": "20.00", "currency": "USD"},
            "lines": [
                {
                    "id": "honey",
                    "hs_code": "0409.00",
                    "quantity": 2,
                    "unit_price": {"amount": "10.00", "currency": "USD"},
                    "unit_weight_kg": "1",
                },
                {
                    "id": "chili",
                    "hs_code": "0904.21",
                    "quantity": 1,
                    "unit_price": {"amount": "10.00", "currency": "USD"},
                },
            ],
        },
        snapshot,
        quote_id="q_explain",
    )
    text = explain_table(result)
    for expected in (
        "q_explain",
        "INCOMPLETE",
        "Regime: standard",
        "Line honey",
        "0% (us-agoa)",
        "us-s122 0.10",
        "Totals",
        "USD",
        "EUR",
        "1 USD = ",
        "national_code_needed",
        "Documents required: statement_on_origin",
        "payable at checkout",
    ):
        assert expected in text, expected
