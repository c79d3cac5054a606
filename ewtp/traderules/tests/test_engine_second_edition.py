"""The contract's second edition (landed-cost.md, "Extensions") against the law and published
examples: every expected figure is worked out by hand in the comment beside it from the rate
the cited source states, never copied from the engine's output or the shipped table.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ewtp.traderules.engine import QuoteRejected, RuleSet, Snapshot, build_snapshot, quote
from ewtp.traderules.engine.files import load_shipped_ruleset

DATA = Path(__file__).resolve().parents[3] / "data"
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_shipped_ruleset(DATA, version="second-edition")


@pytest.fixture(scope="module")
def snapshot(ruleset: RuleSet) -> Snapshot:
    return build_snapshot(ruleset)


def line(hs: str, quantity: int, amount: str, currency: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": extra.pop("id", "a"),
        "hs_code": hs,
        "quantity": quantity,
        "unit_price": {"amount": amount, "currency": currency},
        **extra,
    }


def request(
    destination: str, lines: list[dict[str, Any]], day: str, origin: str = "RW", **extra: Any
) -> dict[str, Any]:
    return {"origin": origin, "destination": destination, "date": day, "lines": lines, **extra}


def run(snapshot: Snapshot, body: dict[str, Any]) -> dict[str, Any]:
    return quote(body, snapshot, now=NOW, quote_id="q_test")


def totals(result: dict[str, Any]) -> tuple[str, ...]:
    t = result["totals"]["customs"]
    keys = ("goods", "shipping", "insurance", "duty", "fees", "taxes", "landed")
    return tuple(t[key] for key in keys)


def money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def codes(items: list[dict[str, Any]]) -> list[str]:
    return [item["code"] for item in items]


# VAT by product ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "rate", "amount", "kind", "source"),
    [
        # Belgium: roasted coffee is a foodstuff at the 6% rate (Royal Decree No. 20, table
        # A; TEDB FOODSTUFFS, S58): 6% x 200.00 = 12.00.
        ("BE", "0.06", "12.00", "reduced", "S58"),
        # France: foodstuffs for human consumption, coffee included, 5.5% (CGI art. 278-0
        # bis A 1°, S60): 5.5% x 200.00 = 11.00.
        ("FR", "0.055", "11.00", "reduced", "S60"),
        # Ireland: tea and coffee in non-drinkable form are zero-rated (VATCA 2010 Sch. 2
        # para. 8, S61): 0% x 200.00 = 0.00.
        ("IE", "0", "0.00", "zero", "S61"),
    ],
)
def test_roasted_coffee_takes_the_reduced_rate_the_law_names(
    snapshot: Snapshot, country: str, rate: str, amount: str, kind: str, source: str
) -> None:
    # A business buyer over EUR 150: standard regime; EBA 0% with proof, so the base is
    # c = 10 x 20.00 = 200.00 + duty 0.
    body = request(
        country, [line("0901.21", 10, "20.00", "EUR")], "2026-03-20", buyer={"kind": "business"}
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == "standard"
    [tax] = result["lines"][0]["taxes"]
    assert (tax["rate"], tax["base"], tax["amount"], tax["rate_kind"]) == (
        rate,
        "200.00",
        amount,
        kind,
    )
    assert tax["category"] == "foodstuffs" and tax["source"] == source
    assert result["lines"][0]["duty"]["confidence"] == "high"  # CET line and EBA, both high


def test_a_standard_rate_has_no_category_and_high_confidence(snapshot: Snapshot) -> None:
    # A T-shirt in Belgium: the 21% standard rate (S14): 21% x 100.00 = 21.00 under IOSS.
    result = run(snapshot, request("BE", [line("6109.10", 1, "100.00", "EUR")], "2026-03-20"))
    [tax] = result["lines"][0]["taxes"]
    assert (tax["rate"], tax["amount"], tax["rate_kind"], tax["category"]) == (
        "0.21",
        "21.00",
        "standard",
        None,
    )
    assert tax["confidence"] == "high"
    assert "rates_not_verified" not in codes(result["notes"])


def test_rates_below_high_confidence_are_named_in_a_note(snapshot: Snapshot) -> None:
    # Belgian coffee VAT comes from TEDB's chapter-level entry (medium); the T-shirt's
    # standard rate is high: only the coffee line is named.
    body = request(
        "BE",
        [
            line("0901.21", 1, "50.00", "EUR", id="coffee"),
            line("6109.10", 1, "50.00", "EUR", id="shirt"),
        ],
        "2026-03-20",
    )
    result = run(snapshot, body)
    [note] = [item for item in result["notes"] if item["code"] == "rates_not_verified"]
    assert note["lines"] == ["coffee"]
    assert "coffee (medium)" in note["message"]


# Gifts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "regime", "vat"),
    [
        # GOV.UK "Tax and customs for goods sent from abroad" (S65): no import VAT on a gift
        # of GBP 39 or less, no duty up to GBP 135.
        ("39.00", "gb-gift-39", "0.00"),
        # GBP 39.01: import VAT 20% x 39.01 = 7.802 -> 7.80, still no duty.
        ("39.01", "gb-gift-135", "7.80"),
    ],
)
def test_gb_gift_relief_ends_at_39_pounds(
    snapshot: Snapshot, amount: str, regime: str, vat: str
) -> None:
    body = request("GB", [line("6109.10", 1, amount, "GBP")], "2026-03-20", gift=True)
    result = run(snapshot, body)
    assert result["regime"]["id"] == regime
    assert result["lines"][0]["duty"]["amount"] == "0.00"
    assert totals(result)[3:6] == ("0.00", "0.00", vat)
    assert result["regime"]["taxes_collected_at"] == "border"


def test_a_business_buyers_gift_flag_is_not_a_gift_regime(snapshot: Snapshot) -> None:
    # The gift regimes also require a consumer; a business buyer's flag is not refused.
    body = request(
        "GB",
        [line("6109.10", 1, "39.00", "GBP")],
        "2026-03-20",
        gift=True,
        buyer={"kind": "business"},
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == "standard"  # gb-low-value-2021 needs a non-gift


def test_eu_gift_over_the_relief_pays_the_flat_2_5_percent(snapshot: Snapshot) -> None:
    # Belastingdienst's worked example (S73): a suit worth EUR 200, postage 25, insurance 10,
    # sent as a gift to the Netherlands: duty 2.5% of the customs value 235.00 = 5.875, which
    # the contract rounds half up to 5.88 (the example shows 5.87); VAT 21% of
    # 235.00 + 5.88 = 240.88 -> 50.5848 -> 50.58 (the example's 50.58).
    body = request(
        "NL",
        [line("6203.11", 1, "200.00", "EUR")],
        "2026-03-20",
        origin="US",
        gift=True,
        shipping=money("25.00", "EUR"),
        insurance=money("10.00", "EUR"),
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == "eu-gift-flat-700"
    duty = result["lines"][0]["duty"]
    assert (duty["amount"], duty["rate"], duty["treatment"]) == ("5.88", "2.5%", "flat_ad_valorem")
    assert totals(result) == ("200.00", "25.00", "10.00", "5.88", "0.00", "50.58", "291.46")


def test_eu_flat_gift_duty_spares_a_line_whose_tariff_duty_is_zero(snapshot: Snapshot) -> None:
    # S73: the flat rate does not apply to goods whose duty is "free": Rwandan roasted coffee
    # with EBA (0% with proof) pays 0; the T-shirt (MFN 12%, EBA 0% too) also pays 0; without
    # proof both pay 2.5%: coffee 2.5% x 180.00 = 4.50, T-shirt 2.5% x 100.00 = 2.50.
    body = request(
        "BE",
        [
            line("0901.21", 9, "20.00", "EUR", id="coffee"),
            line("6109.10", 1, "100.00", "EUR", id="shirt"),
        ],
        "2026-03-20",
        gift=True,
    )
    proven = run(snapshot, body)
    assert proven["regime"]["id"] == "eu-gift-flat-700"
    assert [item["duty"]["amount"] for item in proven["lines"]] == ["0.00", "0.00"]
    assert proven["documents_required"] == ["statement_on_origin"]
    unproven = run(snapshot, {**body, "proof_of_origin": False})
    assert [item["duty"]["amount"] for item in unproven["lines"]] == ["4.50", "2.50"]
    assert "preference_available" not in codes(unproven["notes"])


def test_eu_gift_up_to_45_euros_is_relieved_of_duty_and_vat(snapshot: Snapshot) -> None:
    # Reg. (EC) 1186/2009 art. 25 and Directive 2006/79/EC (S66): EUR 45.00 relieved.
    body = request("BE", [line("6109.10", 1, "45.00", "EUR")], "2026-03-20", gift=True)
    result = run(snapshot, body)
    assert result["regime"]["id"] == "eu-gift-45"
    assert totals(result)[3:] == ("0.00", "0.00", "0.00", "45.00")
    assert result["lines"][0]["taxes"][0]["rate_kind"] == "zero"


@pytest.mark.parametrize(("flag", "value"), [("gift", "yes"), ("seller_ioss", 1)])
def test_flags_must_be_booleans(snapshot: Snapshot, flag: str, value: Any) -> None:
    body = request("BE", [line("6109.10", 1, "45.00", "EUR")], "2026-03-20", **{flag: value})
    with pytest.raises(QuoteRejected) as caught:
        run(snapshot, body)
    assert caught.value.code == "invalid_request"
    assert caught.value.fields == {flag: "must be true or false"}


# EU: sellers outside IOSS ------------------------------------------------------------------


def test_eu_seller_outside_ioss_vat_is_due_on_delivery(snapshot: Snapshot) -> None:
    # From 2026-07-01 the EUR 3 per subheading applies to every B2C sale <= EUR 150 (S69);
    # without IOSS the import VAT is charged at the border on c + the EUR 3:
    # 6% (Belgian coffee) x (40.00 + 3.00) = 2.58. DAP: only the goods at checkout.
    body = request(
        "BE",
        [line("0901.21", 2, "20.00", "EUR")],
        "2026-07-01",
        seller_ioss=False,
        incoterm="DAP",
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == "eu-low-value-2026-non-ioss"
    assert result["regime"]["taxes_collected_at"] == "border"
    assert result["lines"][0]["taxes"][0]["base"] == "43.00"
    assert totals(result) == ("40.00", "0.00", "0.00", "3.00", "0.00", "2.58", "45.58")
    assert result["payable_at_checkout"] == money("40.00", "EUR")
    assert result["payable_on_delivery"] == money("5.58", "EUR")  # 3.00 + 2.58
    # The same sale by an IOSS seller: VAT 6% x 40.00 = 2.40 on the supply, at checkout.
    ioss = run(snapshot, {**body, "seller_ioss": True})
    assert ioss["regime"]["id"] == "eu-low-value-2026"
    assert ioss["payable_at_checkout"] == money("42.40", "EUR")
    assert ioss["payable_on_delivery"] == money("3.00", "EUR")


def test_eu_2026_flat_duty_covers_alcohol_and_tobacco(snapshot: Snapshot) -> None:
    # S69: goods previously excluded from the relief (alcohol, tobacco) are included.
    body = request("BE", [line("2204.21", 1, "30.00", "EUR")], "2026-07-01", origin="ZA")
    result = run(snapshot, body)
    assert result["regime"]["id"] == "eu-low-value-2026"
    assert result["consignment_duties"] == [{"kind": "flat_per_hs6", "count": 1, "amount": "3.00"}]


# US merchandise processing fee -------------------------------------------------------------

# CBP Dec. 25-10 (90 FR 34665, S68), FY2026: formal entries (value over USD 2,500) 0.3464%
# of the value, at least USD 33.58 and at most USD 651.50; informal entries USD 2.69.


@pytest.mark.parametrize(
    ("quantity", "price", "fee", "amount"),
    [
        ("1", "2500.00", "us-mpf-informal", "2.69"),  # at USD 2,500: informal, flat
        ("1", "2500.01", "us-mpf", "33.58"),  # 0.3464% x 2500.01 = 8.66: the floor
        ("10", "5000.00", "us-mpf", "173.20"),  # 0.3464% x 50,000.00 = 173.20
        ("40", "5000.00", "us-mpf", "651.50"),  # 0.3464% x 200,000.00 = 692.80: the ceiling
    ],
)
def test_us_merchandise_processing_fee(
    snapshot: Snapshot, quantity: str, price: str, fee: str, amount: str
) -> None:
    # Coffee is MFN free, 2025-11-15 is after the de minimis suspension and before the
    # Section 122 surcharge: the fee is the only charge.
    body = request("US", [line("0901.21", int(quantity), price, "USD")], "2025-11-15")
    result = run(snapshot, body)
    assert result["regime"]["id"] == "standard"
    [charged] = result["consignment_fees"]
    assert (charged["fee"], charged["amount"]) == (fee, amount)
    assert result["lines"][0]["fees"] == []
    landed = Decimal(result["totals"]["customs"]["goods"]) + Decimal(amount)
    assert totals(result)[3:] == ("0.00", amount, "0.00", str(landed))


def test_us_gift_pays_no_processing_fee(snapshot: Snapshot) -> None:
    # 19 CFR 10.152 (S67): a bona fide gift up to USD 100 passes free; no entry, no MPF.
    body = request("US", [line("6109.10", 1, "100.00", "USD")], "2025-11-15", gift=True)
    result = run(snapshot, body)
    assert result["regime"]["id"] == "us-gift-100"
    assert result["consignment_fees"] == [] and totals(result)[3:] == (
        "0.00",
        "0.00",
        "0.00",
        "100.00",
    )


# Malaysia: low-value goods per item --------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "regime", "collected", "tax"),
    [
        # P.U.(A) 403/2023 (S70): goods sold at RM 500 or less each are low-value goods; the
        # consignment (2 x 500.00 = 1,000.00) is over the RM 500 de minimis, so the per-item
        # regime: LVG sales tax 10% on the goods value 1,000.00 = 100.00, at checkout.
        ("500.00", "my-lvg-item-2024", "checkout", "100.00"),
        # RM 500.01 each: not low-value goods; import sales tax 10% on c = 1,000.02 =
        # 100.002 -> 100.00, at the border.
        ("500.01", "standard", "border", "100.00"),
    ],
)
def test_my_low_value_goods_threshold_is_per_item(
    snapshot: Snapshot, price: str, regime: str, collected: str, tax: str
) -> None:
    body = request("MY", [line("6109.10", 2, price, "MYR")], "2026-03-20", incoterm="DAP")
    result = run(snapshot, body)
    assert result["regime"]["id"] == regime
    assert result["regime"]["taxes_collected_at"] == collected
    assert result["totals"]["customs"]["taxes"] == tax
    # No MY tariff lines: the duty stays unknown under both.
    assert result["complete"] is False and codes(result["warnings"]) == ["tariff_rate_unknown"]
    on_delivery = "0.00" if collected == "checkout" else tax
    assert result["payable_on_delivery"] == money(on_delivery, "MYR")


# National codes ------------------------------------------------------------------------------


def test_a_six_digit_code_over_national_lines_with_different_duties(snapshot: Snapshot) -> None:
    # HTS 0902.10: .10 flavoured green tea 6.4%, .90 not flavoured Free (S71).
    body = request("US", [line("0902.10", 1, "100.00", "USD")], "2025-11-15", origin="CN")
    result = run(snapshot, body)
    assert result["lines"][0]["duty"] is None and result["complete"] is False
    [warning] = [item for item in result["warnings"] if item["code"] == "national_code_needed"]
    assert warning["candidates"] == [
        {"code": "09021010", "duty": "6.4%"},
        {"code": "09021090", "duty": "0%"},
    ]
    # The national code prices the line: 6.4% x 100.00 = 6.40.
    body["lines"][0]["hs_code"] = "0902.10.10"
    assert run(snapshot, body)["lines"][0]["duty"]["amount"] == "6.40"


def test_a_six_digit_code_over_national_lines_with_one_duty(snapshot: Snapshot) -> None:
    # CN black tea is stored only as 0902.40.90 (15%, S21): one duty, so it applies and the
    # request's code is named: 15% x 100.00 = 15.00.
    body = request("CN", [line("0902.40", 1, "100.00", "CNY")], "2026-03-20", origin="BR")
    body["buyer"] = {"kind": "business"}
    result = run(snapshot, body)
    duty = result["lines"][0]["duty"]
    assert (duty["amount"], duty["tariff_code"]) == ("15.00", "090240")


def test_candidates_are_the_first_twenty_by_code(ruleset: RuleSet) -> None:
    rows = [
        {
            "territory": "US",
            "code": f"420299{index:02d}",
            "description": "test line",
            "mfn_ad_valorem": f"0.{index:02d}",
            "valid_from": "2025-01-01",
            "source": "S02",
            "confidence": "high",
        }
        for index in range(25, 0, -1)
    ]
    snapshot = build_snapshot(replace(ruleset, tariff_lines=ruleset.tariff_lines + tuple(rows)))
    result = run(snapshot, request("US", [line("4202.99", 1, "10.00", "USD")], "2025-11-15"))
    [warning] = [item for item in result["warnings"] if item["code"] == "national_code_needed"]
    assert [item["code"] for item in warning["candidates"]] == [
        f"420299{index:02d}" for index in range(1, 21)
    ]


# Specific duties per litre; lines the engine cannot compute --------------------------------


def _with_lines(ruleset: RuleSet, *rows: dict[str, str]) -> Snapshot:
    return build_snapshot(replace(ruleset, tariff_lines=ruleset.tariff_lines + rows))


WINE = {
    # HTS 2204.21.50: still wine <= 14% vol. in containers <= 2 l, 6.3 cents per litre.
    "territory": "US",
    "code": "22042150",
    "description": "Wine, not over 14% vol., containers not over 2 litres",
    "mfn_specific_amount": "0.063",
    "mfn_specific_currency": "USD",
    "mfn_specific_per": "l",
    "valid_from": "2025-01-01",
    "source": "S71",
    "confidence": "high",
}


def test_a_duty_per_litre_needs_the_volume(ruleset: RuleSet) -> None:
    snapshot = _with_lines(ruleset, WINE)
    bottles = line("2204.21.50", 12, "10.00", "USD", unit_volume_l="0.75")
    result = run(snapshot, request("US", [bottles], "2025-11-15", origin="ZA"))
    # 12 x 0.75 l = 9 l x USD 0.063 = 0.567 -> 0.57.
    duty = result["lines"][0]["duty"]
    assert (duty["amount"], duty["rate"]) == ("0.57", "0.063 USD/l")
    assert result["complete"] is True
    del bottles["unit_volume_l"]
    result = run(snapshot, request("US", [bottles], "2025-11-15", origin="ZA"))
    assert result["lines"][0]["duty"] is None and result["complete"] is False
    [warning] = [item for item in result["warnings"] if item["code"] == "quantity_missing"]
    assert list(warning["fields"]) == ["lines.0.unit_volume_l"]


def test_a_line_the_engine_cannot_compute_is_never_guessed(ruleset: RuleSet) -> None:
    entry_price = {
        "territory": "EU",
        "code": "08051020",
        "description": "Sweet oranges, fresh",
        "valid_from": "2020-01-01",
        "source": "S09",
        "confidence": "high",
        "schedule": "eu-cn8-2020",
        "computable": "false",
        "not_computable_reason": "entry price system",
    }
    snapshot = _with_lines(ruleset, entry_price)
    body = request("BE", [line("0805.10.20", 10, "20.00", "EUR")], "2026-03-20", origin="MA")
    body["buyer"] = {"kind": "business"}
    result = run(snapshot, body)
    assert result["lines"][0]["duty"] is None and result["complete"] is False
    [warning] = [item for item in result["warnings"] if item["code"] == "duty_not_computable"]
    assert warning["reason"] == "entry price system" and warning["tariff_code"] == "08051020"


def test_overlapping_tariff_dates_are_refused_naming_row_and_column(ruleset: RuleSet) -> None:
    again = {**WINE, "valid_from": "2025-06-01", "mfn_specific_amount": "0.07"}
    with pytest.raises(ValueError) as caught:
        _with_lines(ruleset, WINE, again)
    error: Any = caught.value
    assert (error.table, error.column) == ("tariff_lines", "valid_from")
    assert error.row == str(len(ruleset.tariff_lines) + 3)
