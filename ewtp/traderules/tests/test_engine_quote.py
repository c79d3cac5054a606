"""The quote engine's arithmetic against hand-computed figures (landed-cost.md, steps 1-8).

Every expected amount below is worked out in the comment beside it from the shipped rule data
(``data/rules``), never copied from the engine's output. Most cases price goods in the customs
currency so that the arithmetic stays exact; the FX cases give the rate they use.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from ewtp.traderules.engine import RuleSet, Snapshot, build_snapshot, quote
from ewtp.traderules.engine.files import load_shipped_ruleset

DATA = Path(__file__).resolve().parents[3] / "data"
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_shipped_ruleset(DATA, version="2026-11-26.3")


@pytest.fixture(scope="module")
def snapshot(ruleset: RuleSet) -> Snapshot:
    return build_snapshot(ruleset)


def line(
    hs: str, quantity: int, amount: str, currency: str, line_id: str = "a", **extra: Any
) -> dict[str, Any]:
    return {
        "id": line_id,
        "hs_code": hs,
        "quantity": quantity,
        "unit_price": {"amount": amount, "currency": currency},
        **extra,
    }


def request(
    destination: str, lines: list[dict[str, Any]], day: str, origin: str = "RW", **extra: Any
) -> dict[str, Any]:
    return {"origin": origin, "destination": destination, "date": day, "lines": lines, **extra}


def money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def run(snapshot: Snapshot, body: dict[str, Any]) -> dict[str, Any]:
    return quote(body, snapshot, now=NOW, quote_id="q_test")


def totals(result: dict[str, Any], which: str = "customs") -> tuple[str, ...]:
    t = result["totals"][which]
    return (
        t["goods"],
        t["shipping"],
        t["insurance"],
        t["duty"],
        t["fees"],
        t["taxes"],
        t["landed"],
    )


def codes(items: list[dict[str, str]]) -> list[str]:
    return [item["code"] for item in items]


# The response --------------------------------------------------------------------------------


def test_response_has_every_contract_field_and_is_plain_json(snapshot: Snapshot) -> None:
    body = request(
        "BE",
        [line("0901.21", 2, "50.00", "EUR", description="Roasted coffee, 500 g")],
        "2026-03-20",
        currency="EUR",
        incoterm="DDP",
        buyer={"kind": "consumer"},
        proof_of_origin=True,
        shipping=money("10.00", "EUR"),
        insurance=money("0", "EUR"),
    )
    result = quote(body, snapshot, now=datetime(2026, 3, 20, 19, 45, 10, tzinfo=UTC))
    assert list(result) == [
        "quote_id",
        "complete",
        "rules_version",
        "origin",
        "destination",
        "territory",
        "date",
        "incoterm",
        "customs_currency",
        "currency",
        "regime",
        "fx",
        "lines",
        "consignment_duties",
        "consignment_fees",
        "totals",
        "payable_at_checkout",
        "payable_on_delivery",
        "notes",
        "warnings",
        "documents_required",
        "expires_at",
    ]
    assert result["quote_id"].startswith("q_") and len(result["quote_id"]) > 10
    assert result["rules_version"] == "2026-11-26.3"
    assert result["expires_at"] == "2026-03-20T20:15:10Z"  # now + 30 minutes, UTC
    assert (result["origin"], result["destination"], result["territory"]) == ("RW", "BE", "EU")
    assert (result["customs_currency"], result["currency"], result["incoterm"]) == (
        "EUR",
        "EUR",
        "DDP",
    )
    assert set(result["lines"][0]) >= {
        "id",
        "customs_value",
        "duty",
        "additional_duties",
        "fees",
        "taxes",
    }
    assert set(result["totals"]["customs"]) == {
        "goods",
        "shipping",
        "insurance",
        "duty",
        "fees",
        "taxes",
        "landed",
    }
    assert json.loads(json.dumps(result)) == result


def test_quote_ids_are_random_and_a_given_id_is_kept(snapshot: Snapshot) -> None:
    body = request("BE", [line("090121", 1, "10.00", "EUR")], "2026-03-20")
    first = quote(body, snapshot)["quote_id"]
    second = quote(body, snapshot)["quote_id"]
    assert first != second
    assert quote(body, snapshot, quote_id="q_fixed")["quote_id"] == "q_fixed"


def test_defaults_date_today_currency_incoterm_buyer_and_line_origin(snapshot: Snapshot) -> None:
    body = {"origin": "RW", "destination": "FR", "lines": [line("090121", 1, "10.00", "EUR")]}
    result = quote(body, snapshot, today=date(2026, 3, 20), now=NOW)
    assert result["date"] == "2026-03-20"
    assert result["currency"] == "EUR"  # the destination's customs currency
    assert result["incoterm"] == "DDP"
    assert result["lines"][0]["origin"] == "RW"  # lines[].origin defaults to origin
    assert result["regime"]["id"] == "eu-ioss-2021"  # consumer by default
    # No date and no `today`: today's date in UTC.
    assert quote(body, snapshot)["date"] == datetime.now(UTC).date().isoformat()


def test_hs_code_dots_and_spaces_are_ignored(snapshot: Snapshot) -> None:
    result = run(snapshot, request("BE", [line("0901 21.00 ", 1, "10.00", "EUR")], "2026-03-20"))
    assert result["lines"][0]["hs_code"] == "09012100"


# EU: IOSS, low-value relief, the 2026 flat duty, member-state VAT ---------------------------


def test_eu_ioss_consumer_duty_exempt_vat_on_supply(snapshot: Snapshot) -> None:
    body = request(
        "BE", [line("0901.21", 2, "50.00", "EUR")], "2026-03-20", shipping=money("10.00", "EUR")
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == "eu-ioss-2021"
    assert result["regime"]["why"] == (
        "buyer is a consumer; not a gift; the seller is registered for IOSS; "
        "goods value 100.00 EUR <= 150 EUR; no excluded goods"
    )
    [only] = result["lines"]
    # CIF: c = 100.00 + 10.00 shipping = 110.00; duty exempt (no tariff line looked up).
    assert only["customs_value"] == "110.00"
    assert only["duty"]["amount"] == "0.00" and only["duty"]["tariff_code"] is None
    # VAT BE 6% on coffee (reduced rate, foodstuffs: TEDB, S58) on the supply v + f + ins =
    # 110.00 -> 6.60.
    assert [(t["kind"], t["rate"], t["base"], t["amount"]) for t in only["taxes"]] == [
        ("vat", "0.06", "110.00", "6.60")
    ]
    assert totals(result) == ("100.00", "10.00", "0.00", "0.00", "0.00", "6.60", "116.60")
    assert result["complete"] is True
    assert result["fx"] == [] and result["warnings"] == []
    # TEDB lists only chapter 09 for Belgium: medium confidence, named in the note.
    assert codes(result["notes"]) == ["rates_not_verified"]


@pytest.mark.parametrize(
    ("amount", "regime"),
    [("150.00", "eu-ioss-2021"), ("150.01", "standard")],
)
def test_eu_ioss_threshold_is_on_goods_value_inclusive(
    snapshot: Snapshot, amount: str, regime: str
) -> None:
    # Shipping 20.00 puts the customs value over 150, but the threshold is on the goods value.
    body = request(
        "BE",
        [line("0901.21", 1, amount, "EUR")],
        "2026-03-20",
        origin="BR",
        shipping=money("20.00", "EUR"),
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == regime
    if regime == "eu-ioss-2021":
        # VAT 6% (coffee) x (150.00 + 20.00) = 10.20.
        assert totals(result) == ("150.00", "20.00", "0.00", "0.00", "0.00", "10.20", "180.20")
    else:
        # Standard, Brazil has no EU preference: MFN 7.5% x 170.01 = 12.75075 -> 12.75;
        # VAT 6% x (170.01 + 12.75) = 182.76 x 0.06 = 10.9656 -> 10.97.
        assert result["regime"]["why"].endswith(
            "eu-ioss-2021: goods value 150.01 EUR > 150 EUR; "
            "eu-low-value-relief-2021: goods value 150.01 EUR > 150 EUR; "
            "eu-low-value-2026 is not in force on 2026-03-20 (2026-07-01 to 2028-06-30); "
            "eu-low-value-2026-non-ioss is not in force on 2026-03-20 (2026-07-01 to "
            "2028-06-30); eu-gift-flat-700: the consignment is not a gift"
        )
        duty = result["lines"][0]["duty"]
        assert (duty["amount"], duty["rate"], duty["tariff_code"], duty["programme"]) == (
            "12.75",
            "7.5%",
            "090121",
            None,
        )
        assert duty["source"] == "S09;S56"
        assert totals(result) == ("150.01", "20.00", "0.00", "12.75", "0.00", "10.97", "193.73")


@pytest.mark.parametrize(
    ("day", "regime"),
    [
        ("2021-06-30", "standard"),
        ("2021-07-01", "eu-ioss-2021"),
        ("2026-06-30", "eu-ioss-2021"),
        ("2026-07-01", "eu-low-value-2026"),
        ("2028-06-30", "eu-low-value-2026"),
        ("2028-07-01", "standard"),
    ],
)
def test_eu_consumer_regime_validity_boundaries(snapshot: Snapshot, day: str, regime: str) -> None:
    body = request("BE", [line("0901.21", 1, "40.00", "EUR")], day, origin="BR")
    assert run(snapshot, body)["regime"]["id"] == regime


def test_eu_quote_before_vat_coverage_is_incomplete(snapshot: Snapshot) -> None:
    # EU VAT rows start 2025-01-01 (the data's coverage), so a 2021 quote knows no VAT rate.
    body = request("BE", [line("0901.21", 1, "40.00", "EUR")], "2021-07-01")
    result = run(snapshot, body)
    assert result["complete"] is False
    assert codes(result["warnings"]) == ["tax_rate_unknown"]
    assert result["lines"][0]["taxes"] == []
    assert totals(result)[-1] == "40.00"


@pytest.mark.parametrize(
    ("buyer", "amount", "day", "regime"),
    [
        ("business", "150.00", "2026-06-30", "eu-low-value-relief-2021"),
        ("business", "150.01", "2026-06-30", "standard"),
        ("business", "100.00", "2026-07-01", "standard"),  # relief ended 2026-06-30
        ("consumer", "100.00", "2026-06-30", "eu-ioss-2021"),  # IOSS is listed first
    ],
)
def test_eu_low_value_relief_for_business_buyers(
    snapshot: Snapshot, buyer: str, amount: str, day: str, regime: str
) -> None:
    body = request(
        "BE", [line("0901.21", 1, amount, "EUR")], day, origin="BR", buyer={"kind": buyer}
    )
    assert run(snapshot, body)["regime"]["id"] == regime


def test_eu_relief_duty_exempt_standard_vat_collected_at_the_border(snapshot: Snapshot) -> None:
    body = request(
        "BE",
        [line("0901.21", 2, "50.00", "EUR")],
        "2026-03-20",
        origin="BR",
        buyer={"kind": "business"},
        shipping=money("10.00", "EUR"),
        incoterm="DAP",
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == "eu-low-value-relief-2021"
    assert result["regime"]["taxes_collected_at"] == "border"
    # Duty exempt; VAT 6% (coffee) x (c = 110.00 + duty 0) = 6.60.
    assert totals(result) == ("100.00", "10.00", "0.00", "0.00", "0.00", "6.60", "116.60")
    # DAP, VAT at the border: goods + shipping at checkout, the VAT on delivery.
    assert result["payable_at_checkout"] == money("110.00", "EUR")
    assert result["payable_on_delivery"] == money("6.60", "EUR")


def test_eu_2026_flat_duty_per_distinct_subheading(snapshot: Snapshot) -> None:
    body = request(
        "BE",
        [
            line("0901.21", 2, "20.00", "EUR", "a"),
            line("0901.21.00", 1, "10.00", "EUR", "b"),  # same HS6 as line a: counted once
            line("0902.40", 1, "30.00", "EUR", "c"),
        ],
        "2026-07-01",
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == "eu-low-value-2026"
    # Distinct subheadings {090121, 090240}: 2 x EUR 3 = 6.00 on the consignment.
    assert result["consignment_duties"] == [{"kind": "flat_per_hs6", "count": 2, "amount": "6.00"}]
    # The regime replaces the duty step: no tariff line, no EBA preference, no documents.
    for item in result["lines"]:
        assert item["duty"]["amount"] == "0.00"
        assert item["duty"]["tariff_code"] is None
        assert item["duty"]["programme"] is None
    # VAT 6% (coffee and tea) on the supply: 40.00 -> 2.40, 10.00 -> 0.60, 30.00 -> 1.80;
    # total 4.80.
    assert [item["taxes"][0]["amount"] for item in result["lines"]] == ["2.40", "0.60", "1.80"]
    # Landed 80.00 + 6.00 + 4.80 = 90.80.
    assert totals(result) == ("80.00", "0.00", "0.00", "6.00", "0.00", "4.80", "90.80")
    assert result["documents_required"] == []
    # DAP: the flat duty is not a tax collected at checkout, so it is paid on delivery.
    dap = run(snapshot, {**body, "incoterm": "DAP"})
    assert dap["payable_at_checkout"] == money("84.80", "EUR")  # 80.00 + 4.80
    assert dap["payable_on_delivery"] == money("6.00", "EUR")


def test_eu_member_states_keep_their_own_vat(snapshot: Snapshot) -> None:
    def vat(destination: str, day: str) -> str:
        # T-shirts carry every member state's standard rate.
        body = request(destination, [line("6109.10", 1, "100.00", "EUR")], day)
        result = run(snapshot, body)
        assert result["territory"] == "EU"
        return str(result["lines"][0]["taxes"][0]["amount"])

    assert vat("FR", "2026-03-20") == "20.00"
    assert vat("HU", "2026-03-20") == "27.00"
    assert vat("GR", "2026-03-20") == "24.00"
    assert vat("FI", "2026-03-20") == "25.50"
    # Estonia: 22% to 2025-06-30, 24% from 2025-07-01 (both ends inclusive).
    assert vat("EE", "2025-06-30") == "22.00"
    assert vat("EE", "2025-07-01") == "24.00"


# Preferences -----------------------------------------------------------------------------


def test_eba_with_proof_wins_and_asks_for_the_statement_on_origin(snapshot: Snapshot) -> None:
    body = request(
        "BE", [line("0901.21", 10, "20.00", "EUR")], "2026-03-20", buyer={"kind": "business"}
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == "standard"  # goods 200.00 > 150
    duty = result["lines"][0]["duty"]
    # MFN 7.5% x 200.00 = 15.00; EBA 0% -> 0.00 < 15.00, so EBA applies.
    assert (duty["amount"], duty["rate"], duty["programme"], duty["tariff_code"]) == (
        "0.00",
        "0%",
        "eu-eba",
        "090121",
    )
    assert duty["source"] == "S09;S56;S11;S52"
    # VAT 6% (coffee) x (200.00 + 0.00) = 12.00.
    assert totals(result) == ("200.00", "0.00", "0.00", "0.00", "0.00", "12.00", "212.00")
    assert result["documents_required"] == ["statement_on_origin"]
    assert codes(result["notes"]) == ["rates_not_verified"]


def test_eba_without_proof_charges_mfn_and_notes_the_saving(snapshot: Snapshot) -> None:
    body = request(
        "BE",
        [line("0901.21", 10, "20.00", "EUR")],
        "2026-03-20",
        buyer={"kind": "business"},
        proof_of_origin=False,
    )
    result = run(snapshot, body)
    duty = result["lines"][0]["duty"]
    assert (duty["amount"], duty["programme"]) == ("15.00", None)
    # VAT 6% (coffee) x (200.00 + 15.00) = 12.90.
    assert totals(result) == ("200.00", "0.00", "0.00", "15.00", "0.00", "12.90", "227.90")
    [note] = [item for item in result["notes"] if item["code"] != "rates_not_verified"]
    assert note["code"] == "preference_available"
    assert "eu-eba" in note["message"] and "saving 15.00 EUR" in note["message"]
    assert result["documents_required"] == []


def test_preference_not_claimed_when_it_saves_nothing(snapshot: Snapshot) -> None:
    # EU 0901.11 (green coffee) is MFN free: EBA's 0% is not strictly lower.
    body = request(
        "BE", [line("0901.11", 10, "20.00", "EUR")], "2026-03-20", buyer={"kind": "business"}
    )
    result = run(snapshot, body)
    assert result["lines"][0]["duty"]["programme"] is None
    assert result["documents_required"] == []
    no_proof = run(snapshot, {**body, "proof_of_origin": False})
    assert "preference_available" not in codes(no_proof["notes"])


def test_gb_dcts_preference_and_zero_rated_coffee(snapshot: Snapshot) -> None:
    body = request(
        "GB",
        [line("0901.21", 1, "200.00", "GBP", "coffee"), line("6109.10", 1, "100.00", "GBP", "tee")],
        "2026-03-20",
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == "standard"  # goods 300.00 > 135
    coffee, tee = result["lines"]
    assert coffee["duty"]["programme"] == tee["duty"]["programme"] == "gb-dcts-ldc"
    # VAT: 090121 is zero-rated (longest prefix beats "*"); the T-shirt 20% x 100.00 = 20.00.
    assert [t["rate"] for t in coffee["taxes"]] == ["0"]
    assert [(t["rate"], t["amount"]) for t in tee["taxes"]] == [("0.20", "20.00")]
    assert totals(result)[-1] == "320.00"
    assert result["documents_required"] == ["statement_on_origin"]


# GB --------------------------------------------------------------------------------------


def test_gb_low_value_at_135_vat_at_checkout(snapshot: Snapshot) -> None:
    body = request("GB", [line("6109.10", 1, "135.00", "GBP")], "2026-03-20", incoterm="DAP")
    result = run(snapshot, body)
    assert result["regime"]["id"] == "gb-low-value-2021"
    assert result["regime"]["why"] == (
        "not a gift; goods value 135.00 GBP <= 135 GBP; no excluded goods"
    )
    # Duty exempt; VAT 20% on the supply 135.00 = 27.00, collected at checkout even under DAP.
    assert totals(result) == ("135.00", "0.00", "0.00", "0.00", "0.00", "27.00", "162.00")
    assert result["payable_at_checkout"] == money("162.00", "GBP")
    assert result["payable_on_delivery"] == money("0.00", "GBP")


def test_gb_over_135_standard_vat_on_delivery_under_dap(snapshot: Snapshot) -> None:
    body = request("GB", [line("6109.10", 1, "135.01", "GBP")], "2026-03-20", incoterm="DAP")
    result = run(snapshot, body)
    assert result["regime"]["id"] == "standard"
    # DCTS 0% (MFN 12%); VAT 20% x 135.01 = 27.002 -> 27.00.
    assert totals(result) == ("135.01", "0.00", "0.00", "0.00", "0.00", "27.00", "162.01")
    assert result["payable_at_checkout"] == money("135.01", "GBP")
    assert result["payable_on_delivery"] == money("27.00", "GBP")


def test_gb_excise_goods_are_excluded_from_the_low_value_regime(snapshot: Snapshot) -> None:
    body = request("GB", [line("2204.21", 1, "20.00", "GBP")], "2026-03-20")
    result = run(snapshot, body)
    assert result["regime"]["id"] == "standard"
    assert "line a (2204.21) is excluded goods" in result["regime"]["why"]
    assert codes(result["warnings"]) == ["tariff_rate_unknown"]  # no GB line for wine


# US --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "amount", "day", "regime"),
    [
        ("CN", "800.00", "2025-05-01", "us-de-minimis-321"),
        ("CN", "800.01", "2025-05-01", "standard"),
        ("CN", "800.00", "2025-05-02", "standard"),  # CN/HK excluded from 2025-05-02
        ("HK", "100.00", "2025-06-01", "standard"),
        ("RW", "800.00", "2025-05-02", "us-de-minimis-321-2025"),
        ("RW", "800.01", "2025-05-02", "standard"),
        ("RW", "800.00", "2025-08-28", "us-de-minimis-321-2025"),
        ("RW", "800.00", "2025-08-29", "standard"),  # suspended for everyone
    ],
)
def test_us_de_minimis_321_and_its_2025_variant(
    snapshot: Snapshot, origin: str, amount: str, day: str, regime: str
) -> None:
    body = request("US", [line("6109.10", 1, amount, "USD")], day, origin=origin)
    assert run(snapshot, body)["regime"]["id"] == regime


def test_us_de_minimis_excludes_by_line_origin(snapshot: Snapshot) -> None:
    body = request(
        "US",
        [
            line("6109.10", 1, "50.00", "USD", "a"),
            line("6109.10", 1, "50.00", "USD", "b", origin="HK"),
        ],
        "2025-06-01",
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == "standard"
    assert "line b is of excluded origin HK" in result["regime"]["why"]


def test_us_fob_valuation_and_mfn_duty(snapshot: Snapshot) -> None:
    body = request(
        "US",
        [line("6109.10", 1, "800.00", "USD")],
        "2025-05-02",
        origin="CN",
        shipping=money("20.00", "USD"),
    )
    result = run(snapshot, body)
    # FOB: customs value is the goods value alone; MFN 16.5% x 800.00 = 132.00; no US taxes.
    assert result["lines"][0]["customs_value"] == "800.00"
    assert result["lines"][0]["duty"]["amount"] == "132.00"
    assert result["lines"][0]["taxes"] == []
    assert totals(result) == ("800.00", "20.00", "0.00", "132.00", "0.00", "0.00", "952.00")


def test_us_specific_duty_per_kg_honey(snapshot: Snapshot) -> None:
    body = request(
        "US", [line("0409.00", 10, "5.00", "USD", unit_weight_kg="2")], "2025-09-01", origin="BR"
    )
    result = run(snapshot, body)
    duty = result["lines"][0]["duty"]
    # 0.019 USD/kg x (2 kg x 10) = 0.38 USD.
    assert (duty["amount"], duty["rate"], duty["tariff_code"]) == ("0.38", "0.019 USD/kg", "040900")
    assert totals(result) == ("50.00", "0.00", "0.00", "0.38", "0.00", "0.00", "50.38")


def test_us_agoa_with_and_without_proof(snapshot: Snapshot) -> None:
    body = request("US", [line("0409.00", 10, "5.00", "USD", unit_weight_kg="2")], "2025-09-01")
    result = run(snapshot, body)
    assert result["lines"][0]["duty"]["programme"] == "us-agoa"
    assert result["lines"][0]["duty"]["amount"] == "0.00"
    assert result["documents_required"] == ["statement_on_origin"]
    no_proof = run(snapshot, {**body, "proof_of_origin": False})
    assert no_proof["lines"][0]["duty"]["amount"] == "0.38"
    assert "saving 0.38 USD" in no_proof["notes"][0]["message"]
    # AGOA for Rwanda excludes apparel (chapters 61-62): MFN 16.5% x 100.00 = 16.50.
    tee = run(snapshot, request("US", [line("6109.10", 1, "100.00", "USD")], "2025-09-01"))
    assert tee["lines"][0]["duty"]["programme"] is None
    assert tee["lines"][0]["duty"]["amount"] == "16.50"
    # AGOA ends 2026-12-31 (inclusive).
    late = {**body, "date": "2027-01-01"}
    assert run(snapshot, late)["lines"][0]["duty"]["programme"] is None


@pytest.mark.parametrize(
    ("day", "surcharge"),
    [("2026-02-23", None), ("2026-02-24", "10.00"), ("2026-07-23", "10.00"), ("2026-07-24", None)],
)
def test_us_section_122_surcharge_dates(
    snapshot: Snapshot, day: str, surcharge: str | None
) -> None:
    body = request("US", [line("0901.21", 1, "100.00", "USD")], day)
    result = run(snapshot, body)
    additional = result["lines"][0]["additional_duties"]
    if surcharge is None:
        assert additional == []
        assert totals(result)[3] == "0.00"
    else:
        # 10% of the customs value 100.00, reported apart and counted in the duty total.
        assert [(a["measure"], a["rate"], a["amount"]) for a in additional] == [
            ("us-s122", "0.10", surcharge)
        ]
        assert result["lines"][0]["duty"]["amount"] == "0.00"  # coffee is MFN free
        assert totals(result)[3] == "10.00"
        # + the informal-entry MPF, USD 2.69 flat in FY2026 (value <= USD 2,500; S68).
        assert totals(result)[4] == "2.69"
        assert totals(result)[-1] == "112.69"


def test_us_section_122_excludes_avocados_and_adds_to_a_preference(snapshot: Snapshot) -> None:
    body = request(
        "US",
        [
            line("0804.40", 10, "3.00", "USD", "avocado", unit_weight_kg="0.25"),
            line("0409.00", 2, "10.00", "USD", "honey", unit_weight_kg="1"),
        ],
        "2026-03-01",
    )
    result = run(snapshot, body)
    avocado, honey = result["lines"]
    assert avocado["additional_duties"] == []  # 080440 excluded from the surcharge
    assert avocado["duty"]["programme"] == honey["duty"]["programme"] == "us-agoa"
    # Honey: AGOA 0 duty, and still s122 10% x 20.00 = 2.00.
    assert [a["amount"] for a in honey["additional_duties"]] == ["2.00"]
    # + the informal-entry MPF, USD 2.69 (FY2026, S68).
    assert totals(result) == ("50.00", "0.00", "0.00", "2.00", "2.69", "0.00", "54.69")


def test_us_regime_treatment_replaces_the_surcharge(snapshot: Snapshot) -> None:
    # Before the surcharge existed the de minimis regime exempted everything; the point here
    # is that an exempt regime looks up neither tariff nor additional duties.
    body = request("US", [line("0409.00", 1, "10.00", "USD")], "2025-05-02")
    result = run(snapshot, body)
    assert result["regime"]["id"] == "us-de-minimis-321-2025"
    assert result["lines"][0]["additional_duties"] == []
    assert result["lines"][0]["duty"]["treatment"] == "exempt"  # no weight needed either


# CN --------------------------------------------------------------------------------------


def test_cn_cbec_at_the_threshold_with_the_factor(snapshot: Snapshot) -> None:
    body = request("CN", [line("0901.21", 1, "5000.00", "CNY")], "2026-03-20")
    result = run(snapshot, body)
    assert result["regime"]["id"] == "cn-cbec-retail"
    # Duty exempt; VAT 13% x 5000.00 x 0.7 = 455.00.
    tax = result["lines"][0]["taxes"][0]
    assert (tax["rate"], tax["factor"], tax["base"], tax["amount"]) == (
        "0.13",
        "0.7",
        "5000.00",
        "455.00",
    )
    assert totals(result) == ("5000.00", "0.00", "0.00", "0.00", "0.00", "455.00", "5455.00")
    assert result["documents_required"] == ["phytosanitary_certificate"]  # coffee into CN


def test_cn_cbec_threshold_is_on_customs_value(snapshot: Snapshot) -> None:
    body = request(
        "CN",
        [line("0901.21", 1, "4900.00", "CNY")],
        "2026-03-20",
        origin="BR",
        shipping=money("100.01", "CNY"),
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == "standard"
    assert "customs value 5000.01 CNY > 5000 CNY" in result["regime"]["why"]
    # MFN 15% x 5000.01 = 750.0015 -> 750.00; VAT 13% x 5750.01 = 747.5013 -> 747.50.
    assert totals(result) == ("4900.00", "100.01", "0.00", "750.00", "0.00", "747.50", "6497.51")


def test_cn_standard_with_the_ldc_preference_and_both_documents(snapshot: Snapshot) -> None:
    body = request(
        "CN", [line("0901.21", 1, "4900.00", "CNY")], "2026-06-01", shipping=money("100.01", "CNY")
    )
    result = run(snapshot, body)
    # cn-ldc-zero and cn-africa-zero both give 0%: the first listed is reported.
    assert result["lines"][0]["duty"]["programme"] == "cn-ldc-zero"
    # VAT 13% x 5000.01 = 650.0013 -> 650.00.
    assert totals(result)[-1] == "5650.01"
    assert result["documents_required"] == ["certificate_of_origin", "phytosanitary_certificate"]


@pytest.mark.parametrize(
    ("used", "regime"),
    [(money("21000.00", "CNY"), "cn-cbec-retail"), (money("21000.01", "CNY"), "standard")],
)
def test_cn_cbec_annual_cap(snapshot: Snapshot, used: dict[str, str], regime: str) -> None:
    # 21000.00 + 5000.00 = 26000.00 <= 26000 (cap reached exactly); one fen more is over.
    body = request(
        "CN",
        [line("0901.21", 1, "5000.00", "CNY")],
        "2026-03-20",
        buyer={"kind": "consumer", "cbec_used_this_year": used},
    )
    assert run(snapshot, body)["regime"]["id"] == regime


def test_cn_cbec_used_this_year_in_another_currency_is_converted(snapshot: Snapshot) -> None:
    # 2000 EUR x 7.9664 CNY/EUR (ECB 2026-03-20) = 15932.80 CNY; + 5000 = 20932.80 <= 26000.
    body = request(
        "CN",
        [line("0901.21", 1, "5000.00", "CNY")],
        "2026-03-20",
        buyer={"kind": "consumer", "cbec_used_this_year": money("2000", "EUR")},
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == "cn-cbec-retail"
    assert "used this year 15932.80 CNY" in result["regime"]["why"]
    assert result["fx"] == [
        {"from": "EUR", "to": "CNY", "rate": "7.96640", "date": "2026-03-20", "source": "S30"}
    ]
    # 2700 EUR -> 21509.28 CNY; + 5000 = 26509.28 > 26000.
    over = {**body, "buyer": {"cbec_used_this_year": money("2700", "EUR")}}
    assert run(snapshot, over)["regime"]["id"] == "standard"


def test_cn_cbec_needs_a_consumer_and_the_positive_list(snapshot: Snapshot) -> None:
    business = request(
        "CN", [line("0901.21", 1, "100.00", "CNY")], "2026-03-20", buyer={"kind": "business"}
    )
    assert run(snapshot, business)["regime"]["id"] == "standard"
    off_list = request(
        "CN",
        [line("0901.21", 1, "100.00", "CNY", "a"), line("0902.30", 1, "100.00", "CNY", "b")],
        "2026-03-20",
    )
    result = run(snapshot, off_list)
    assert result["regime"]["id"] == "standard"
    assert "line b (0902.30) is not on the positive list" in result["regime"]["why"]


def test_cn_cbec_factor_on_a_reduced_rate_line(snapshot: Snapshot) -> None:
    body = request("CN", [line("0902.40.90", 1, "1000.00", "CNY")], "2026-03-20")
    result = run(snapshot, body)
    assert result["regime"]["id"] == "cn-cbec-retail"
    # VAT 9% (prefix 090240) x 1000.00 x 0.7 = 63.00.
    assert result["lines"][0]["taxes"][0]["amount"] == "63.00"


# MY --------------------------------------------------------------------------------------


def test_my_lvg_tax_override_on_goods_value(snapshot: Snapshot) -> None:
    body = request(
        "MY",
        [line("3301.29", 1, "400.00", "MYR")],
        "2026-03-20",
        shipping=money("100.00", "MYR"),
        incoterm="DAP",
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == "my-lvg-2024"
    # Customs value 500.00 <= 500. The override (sales tax 10%) replaces the 5% for 3301 and
    # is levied on the goods value 400.00 alone: 40.00, collected at checkout.
    [tax] = result["lines"][0]["taxes"]
    assert (tax["kind"], tax["rate"], tax["base"], tax["amount"]) == (
        "sales_tax",
        "0.10",
        "400.00",
        "40.00",
    )
    assert totals(result) == ("400.00", "100.00", "0.00", "0.00", "0.00", "40.00", "540.00")
    assert result["payable_at_checkout"] == money("540.00", "MYR")
    assert result["payable_on_delivery"] == money("0.00", "MYR")


def test_my_standard_has_no_tariff_lines(snapshot: Snapshot) -> None:
    # An item over MYR 500 leaves both LVG regimes: import sales tax, no MY tariff lines.
    body = request(
        "MY", [line("3301.29", 1, "500.01", "MYR")], "2026-03-20", shipping=money("100.00", "MYR")
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == "standard"
    assert result["complete"] is False
    assert result["lines"][0]["duty"] is None
    assert codes(result["warnings"]) == ["tariff_rate_unknown"]
    # Sales tax 5% (prefix 3301) on what is known: 5% x 600.01 = 30.0005 -> 30.00.
    assert totals(result) == ("500.01", "100.00", "0.00", "0.00", "0.00", "30.00", "630.01")


def test_my_excluded_goods_and_sales_tax_coverage(snapshot: Snapshot) -> None:
    wine = request("MY", [line("2204.21", 1, "50.00", "MYR")], "2026-03-20")
    assert run(snapshot, wine)["regime"]["id"] == "standard"
    # Sales tax rows start 2025-07-01: an earlier standard quote knows no rate.
    early = request("MY", [line("3301.29", 1, "600.00", "MYR")], "2025-06-30")
    result = run(snapshot, early)
    assert codes(result["warnings"]) == ["tariff_rate_unknown", "tax_rate_unknown"]


# Unknown tariff line ---------------------------------------------------------------------


def test_eu_six_digit_request_for_a_split_subheading_needs_a_national_code(
    snapshot: Snapshot,
) -> None:
    body = request(
        "BE",
        [
            line("0904.21", 1, "200.00", "EUR", "chili"),
            line("0901.11", 1, "100.00", "EUR", "green"),
        ],
        "2026-03-20",
        origin="BR",
    )
    result = run(snapshot, body)
    chili, green = result["lines"]
    assert chili["duty"] is None
    assert result["complete"] is False
    [warning] = result["warnings"]
    # Extension 6: 0904.21 is stored only as 0904.21.10 (9.6%) and 0904.21.90 (0%).
    assert warning["code"] == "national_code_needed" and "chili" in warning["message"]
    assert warning["candidates"] == [
        {"code": "09042110", "duty": "9.6%"},
        {"code": "09042190", "duty": "0%"},
    ]
    # Totals cover what is known: VAT 6% (chapter 09) x 200.00 = 12.00 and x 100.00 = 6.00.
    assert totals(result) == ("300.00", "0.00", "0.00", "0.00", "0.00", "18.00", "318.00")
    assert green["duty"]["amount"] == "0.00"


def test_eu_national_line_is_found_by_longest_prefix(snapshot: Snapshot) -> None:
    body = request("BE", [line("0904.21.10", 1, "200.00", "EUR")], "2026-03-20", origin="BR")
    result = run(snapshot, body)
    duty = result["lines"][0]["duty"]
    # 9.6% x 200.00 = 19.20; VAT 6% x 219.20 = 13.152 -> 13.15.
    assert (duty["tariff_code"], duty["amount"]) == ("09042110", "19.20")
    assert totals(result)[-1] == "232.35"


def test_eu_avocado_seasonal_gap_has_no_rate(snapshot: Snapshot) -> None:
    def duty(day: str) -> Any:
        body = request("BE", [line("0804.40", 1, "200.00", "EUR")], day, origin="PE")
        return run(snapshot, body)["lines"][0]["duty"]

    assert duty("2026-03-31")["amount"] == "8.00"  # 4.0% x 200.00
    assert duty("2026-04-01") is None  # 1 Apr - 31 May not in the source
    assert duty("2026-05-31") is None
    assert duty("2026-06-01")["amount"] == "10.20"  # 5.1% x 200.00


# RW and KE: fees, EAC ------------------------------------------------------------------------


def test_rw_fees_in_the_vat_base_half_up_without_minor_unit(snapshot: Snapshot) -> None:
    body = request("RW", [line("0901.21", 1, "12345", "RWF")], "2026-03-20", origin="BR")
    result = run(snapshot, body)
    [item] = result["lines"]
    # MFN 35% x 12345 = 4320.75 -> 4321 (RWF has no minor unit).
    assert item["duty"]["amount"] == "4321"
    # IDL 1.5% x 12345 = 185.175 -> 185; AU levy and QIF 0.2% x 12345 = 24.69 -> 25 each.
    assert [(f["fee"], f["amount"], f["in_tax_base"]) for f in item["fees"]] == [
        ("rw-idl", "185", True),
        ("rw-au-levy", "25", True),
        ("rw-qif", "25", True),
    ]
    # VAT 18% x (12345 + 4321 + 185 + 25 + 25 = 16901) = 3042.18 -> 3042.
    assert [(t["base"], t["amount"]) for t in item["taxes"]] == [("16901", "3042")]
    assert totals(result) == ("12345", "0", "0", "4321", "235", "3042", "19943")


def test_rw_eac_origin_gets_the_customs_union_and_no_idl(snapshot: Snapshot) -> None:
    body = request("RW", [line("0901.21", 1, "100000", "RWF")], "2026-03-20", origin="KE")
    result = run(snapshot, body)
    [item] = result["lines"]
    assert item["duty"]["programme"] == "eac-cu"
    # IDL exempt for KE; AU levy and QIF 0.2% x 100000 = 200 each.
    assert [f["fee"] for f in item["fees"]] == ["rw-au-levy", "rw-qif"]
    # VAT 18% x (100000 + 0 + 400) = 18072.
    assert totals(result) == ("100000", "0", "0", "0", "400", "18072", "118472")
    assert result["documents_required"] == ["certificate_of_origin"]


def test_ke_fees_outside_the_vat_base(snapshot: Snapshot) -> None:
    body = request("KE", [line("0901.21", 1, "1000.00", "KES")], "2026-03-20", origin="BR")
    result = run(snapshot, body)
    [item] = result["lines"]
    # MFN 35% = 350.00; IDF 2.5% = 25.00, RDL 2% = 20.00 (not in the base);
    # VAT 16% x (1000.00 + 350.00) = 216.00.
    assert [(f["fee"], f["amount"], f["in_tax_base"]) for f in item["fees"]] == [
        ("ke-idf", "25.00", False),
        ("ke-rdl", "20.00", False),
    ]
    assert totals(result) == ("1000.00", "0.00", "0.00", "350.00", "45.00", "216.00", "1611.00")
    # The railway levy starts 2024-12-27: the day before only the IDF applies.
    early = run(snapshot, {**body, "date": "2024-12-26"})
    assert [f["fee"] for f in early["lines"][0]["fees"]] == ["ke-idf"]
    assert totals(early)[-1] == "1591.00"


def test_ke_eac_origin_pays_only_vat(snapshot: Snapshot) -> None:
    body = request("KE", [line("0901.21", 1, "1000.00", "KES")], "2026-03-20", origin="UG")
    result = run(snapshot, body)
    assert result["lines"][0]["fees"] == []
    assert result["lines"][0]["duty"]["programme"] == "eac-cu"
    assert totals(result) == ("1000.00", "0.00", "0.00", "0.00", "0.00", "160.00", "1160.00")


# Exchange rates, display currency --------------------------------------------------------


def test_conversion_uses_the_full_precision_cross_rate_and_reports_it(snapshot: Snapshot) -> None:
    # 1682.5248 RWF per EUR (2026-03-13, the latest on or before 2026-03-20, 7 days: not stale).
    body = request("BE", [line("6109.10", 100, "1682.5248", "RWF")], "2026-03-20")
    result = run(snapshot, body)
    # v = 168252.48 x (1 / 1682.5248) = 100 EUR (to 28 digits) -> goods 100.00; VAT 21.00.
    assert totals(result) == ("100.00", "0.00", "0.00", "0.00", "0.00", "21.00", "121.00")
    assert result["fx"] == [
        {"from": "RWF", "to": "EUR", "rate": "0.000594345", "date": "2026-03-13", "source": "S40"}
    ]
    assert result["warnings"] == []


def test_rate_older_than_seven_days_is_stale(snapshot: Snapshot) -> None:
    body = request("BE", [line("0901.21", 100, "1682.5248", "RWF")], "2026-03-21")
    result = run(snapshot, body)
    [warning] = result["warnings"]
    assert warning["code"] == "stale_fx_rate"
    assert "2026-03-13" in warning["message"] and "8 days" in warning["message"]
    assert result["complete"] is True  # a stale rate is a warning, not a gap


def test_cross_rate_between_two_non_euro_currencies(snapshot: Snapshot) -> None:
    # Shipping in USD to the US is not converted; RWF goods are: USD/EUR 1.1555 (2026-03-20)
    # over RWF/EUR 1682.5248 (2026-03-13). 1682.5248 RWF = 1.1555 USD exactly.
    body = request("US", [line("6109.10", 1, "1682.5248", "RWF")], "2026-03-20")
    result = run(snapshot, body)
    assert result["totals"]["customs"]["goods"] == "1.16"  # 1.1555 -> 1.16 half up
    [entry] = result["fx"]
    assert (entry["from"], entry["to"], entry["rate"]) == ("RWF", "USD", "0.000686766")
    # The older leg's date, both sources.
    assert (entry["date"], entry["source"]) == ("2026-03-13", "S40;S30")


def test_display_currency_rounds_each_total_and_sums_the_parts(snapshot: Snapshot) -> None:
    body = request(
        "BE",
        [line("6109.10", 2, "50.00", "EUR")],
        "2026-03-20",
        shipping=money("30.00", "EUR"),
        currency="USD",
    )
    result = run(snapshot, body)
    # Customs: VAT 21% x 130.00 = 27.30; landed 157.30 EUR.
    assert totals(result) == ("100.00", "30.00", "0.00", "0.00", "0.00", "27.30", "157.30")
    # x 1.1555 USD/EUR: 115.55; 34.665 -> 34.67; 0; 0; 0; 31.54515 -> 31.55.
    # Landed = 115.55 + 34.67 + 31.55 = 181.77 (157.30 x 1.1555 would give 181.76).
    assert totals(result, "display") == (
        "115.55",
        "34.67",
        "0.00",
        "0.00",
        "0.00",
        "31.55",
        "181.77",
    )
    assert result["payable_at_checkout"] == money("181.77", "USD")
    assert result["payable_on_delivery"] == money("0.00", "USD")
    assert result["fx"] == [
        {"from": "EUR", "to": "USD", "rate": "1.15550", "date": "2026-03-20", "source": "S30"}
    ]


def test_display_currency_without_minor_unit(snapshot: Snapshot) -> None:
    body = request(
        "BE",
        [line("6109.10", 2, "50.00", "EUR")],
        "2026-03-20",
        shipping=money("30.00", "EUR"),
        currency="JPY",
    )
    result = run(snapshot, body)
    # x 183.46 JPY/EUR: 18346; 5503.8 -> 5504; 27.30 x 183.46 = 5008.458 -> 5008.
    assert totals(result, "display") == ("18346", "5504", "0", "0", "0", "5008", "28858")


def test_dap_splits_the_display_amounts(snapshot: Snapshot) -> None:
    body = request(
        "BE",
        [line("0901.21", 10, "20.00", "EUR")],
        "2026-03-20",
        origin="BR",
        buyer={"kind": "business"},
        shipping=money("30.00", "EUR"),
        incoterm="DAP",
        currency="USD",
    )
    result = run(snapshot, body)
    # Customs: c = 230.00; MFN 7.5% = 17.25; VAT 6% (coffee) x 247.25 = 14.835 -> 14.84.
    assert totals(result) == ("200.00", "30.00", "0.00", "17.25", "0.00", "14.84", "262.09")
    # Display (x 1.1555): 231.10, 34.665 -> 34.67, 0, 19.932375 -> 19.93, 0, 17.14762 -> 17.15.
    assert totals(result, "display") == (
        "231.10",
        "34.67",
        "0.00",
        "19.93",
        "0.00",
        "17.15",
        "302.85",
    )
    # DAP, standard regime: goods + shipping + insurance at checkout, duty and VAT on delivery.
    assert result["payable_at_checkout"] == money("265.77", "USD")
    assert result["payable_on_delivery"] == money("37.08", "USD")  # 19.93 + 17.15
    ddp = run(snapshot, {**body, "incoterm": "DDP"})
    assert totals(ddp, "display") == totals(result, "display")  # amounts never change
    assert ddp["payable_at_checkout"] == money("302.85", "USD")


def test_shipping_and_insurance_are_shared_in_proportion_to_value(snapshot: Snapshot) -> None:
    body = request(
        "RW",
        [line("0901.21", 1, "3000", "RWF", "a"), line("0901.21", 1, "1000", "RWF", "b")],
        "2026-03-20",
        origin="BR",
        shipping=money("1000", "RWF"),
        insurance=money("200", "RWF"),
    )
    result = run(snapshot, body)
    # (F + I) = 1200 shared 3:1 -> 900 and 300; c = 3900 and 1300.
    assert [item["customs_value"] for item in result["lines"]] == ["3900", "1300"]
    # Duty 35%: 1365 and 455.
    assert [item["duty"]["amount"] for item in result["lines"]] == ["1365", "455"]


def test_zero_goods_value_shares_shipping_equally(snapshot: Snapshot) -> None:
    body = request(
        "RW",
        [line("0901.21", 1, "0", "RWF", "a"), line("0902.40", 1, "0", "RWF", "b")],
        "2026-03-20",
        origin="BR",
        shipping=money("1001", "RWF"),
    )
    result = run(snapshot, body)
    # V = 0: equal shares of 500.5 each (shown 501, half up).
    assert [item["customs_value"] for item in result["lines"]] == ["501", "501"]
    # Duty 35% x 500.5 = 175.175 -> 175 per line.
    assert [item["duty"]["amount"] for item in result["lines"]] == ["175", "175"]


# Synthetic rules: consumption tax, specific duty per item, currency conversions in rules ----


def _with(ruleset: RuleSet, **tables: Any) -> Snapshot:
    return build_snapshot(replace(ruleset, **tables))


def _row(**cells: str) -> dict[str, str]:
    return dict(cells)


def test_consumption_tax_joins_the_vat_base(ruleset: RuleSet) -> None:
    snapshot = _with(
        ruleset,
        tariff_lines=(
            *ruleset.tariff_lines,
            _row(
                territory="CN",
                code="330300",
                description="Perfume",
                mfn_ad_valorem="0.03",
                mfn_specific_amount="",
                mfn_specific_currency="",
                mfn_specific_per="",
                valid_from="2025-01-01",
                valid_to="",
                source="T1",
                confidence="low",
            ),
        ),
        taxes=(
            *ruleset.taxes,
            _row(
                country="CN",
                kind="consumption",
                hs_prefix="3303",
                rate="0.15",
                valid_from="2019-01-01",
                valid_to="",
                source="T2",
                confidence="low",
            ),
        ),
    )
    body = request("CN", [line("3303.00", 1, "1000.00", "CNY")], "2026-03-20", origin="BR")
    result = run(snapshot, body)
    taxes = result["lines"][0]["taxes"]
    # Duty 3% x 1000.00 = 30.00.
    # Consumption: (1000.00 + 30.00) / (1 - 0.15) x 0.15 = 181.7647... -> 181.76.
    # VAT 13% x (1000.00 + 30.00 + 181.76) = 157.5288 -> 157.53.
    assert [(t["kind"], t["amount"]) for t in taxes] == [
        ("consumption", "181.76"),
        ("vat", "157.53"),
    ]
    assert totals(result)[-1] == "1369.29"  # 1000 + 30 + 181.76 + 157.53


def test_consumption_tax_under_the_cbec_factor(ruleset: RuleSet) -> None:
    regimes = json.loads(json.dumps(ruleset.regimes))
    regimes["CN"][0]["conditions"]["positive_list"].append("3303")
    snapshot = _with(
        ruleset,
        regimes=regimes,
        taxes=(
            *ruleset.taxes,
            _row(
                country="CN",
                kind="consumption",
                hs_prefix="3303",
                rate="0.15",
                valid_from="2019-01-01",
                valid_to="",
                source="T2",
                confidence="low",
            ),
        ),
    )
    body = request("CN", [line("3303.00", 1, "1000.00", "CNY")], "2026-03-20")
    result = run(snapshot, body)
    assert result["regime"]["id"] == "cn-cbec-retail"
    taxes = result["lines"][0]["taxes"]
    # Consumption base 1000.00 / 0.85 = 1176.4705...; amount x 0.15 x 0.7 = 123.529... -> 123.53.
    # The VAT base takes the consumption tax before the factor: 176.47 -> 1176.47;
    # VAT 1176.47 x 0.13 x 0.7 = 107.05877 -> 107.06.
    assert [(t["kind"], t["amount"]) for t in taxes] == [
        ("consumption", "123.53"),
        ("vat", "107.06"),
    ]


def test_specific_duty_per_item_in_another_currency(ruleset: RuleSet) -> None:
    snapshot = _with(
        ruleset,
        tariff_lines=(
            *ruleset.tariff_lines,
            _row(
                territory="GB",
                code="420221",
                description="Handbags",
                mfn_ad_valorem="0.02",
                mfn_specific_amount="1.50",
                mfn_specific_currency="EUR",
                mfn_specific_per="item",
                valid_from="2021-01-01",
                valid_to="",
                source="T3",
                confidence="low",
            ),
        ),
    )
    body = request("GB", [line("4202.21", 4, "100.00", "GBP")], "2026-03-20", origin="BR")
    result = run(snapshot, body)
    duty = result["lines"][0]["duty"]
    # 2% x 400.00 = 8.00, plus 1.50 EUR x 4 items x 0.86438 GBP/EUR = 5.18628; 13.18628 -> 13.19.
    assert (duty["rate"], duty["amount"]) == ("2% + 1.50 EUR/item", "13.19")


def test_rates_and_dates_can_come_from_an_operator_table(ruleset: RuleSet) -> None:
    snapshot = _with(
        ruleset,
        fx_rates=(
            *ruleset.fx_rates,
            _row(
                date="2026-11-25",
                currency="RWF",
                units_per_eur="1600",
                source="OP1",
                confidence="high",
                note="operator",
            ),
        ),
    )
    body = request("BE", [line("0901.21", 1, "16000", "RWF")], "2026-11-26")
    result = run(snapshot, body)
    # 16000 / 1600 = 10.00 EUR, rate of the day before: not stale.
    assert result["totals"]["customs"]["goods"] == "10.00"
    assert result["fx"][0]["date"] == "2026-11-25" and result["fx"][0]["source"] == "OP1"
    assert result["warnings"] == []


def test_contract_example_is_priced(snapshot: Snapshot) -> None:
    body = {
        "origin": "RW",
        "destination": "BE",
        "date": "2026-11-26",
        "currency": "EUR",
        "incoterm": "DDP",
        "buyer": {"kind": "consumer", "cbec_used_this_year": money("0", "CNY")},
        "proof_of_origin": True,
        "shipping": money("25.00", "USD"),
        "insurance": money("0", "USD"),
        "lines": [
            {
                "id": "a",
                "hs_code": "0901.21",
                "description": "Roasted coffee beans, 500 g",
                "quantity": 3,
                "unit_price": money("12000", "RWF"),
                "unit_weight_kg": "0.5",
                "origin": "RW",
            }
        ],
    }
    result = run(snapshot, body)
    assert result["regime"]["id"] == "eu-low-value-2026"
    rwf = Decimal(1) / Decimal("1682.5248")  # RWF -> EUR, 2026-03-13
    usd = Decimal(1) / Decimal("1.1684")  # USD -> EUR, 2026-04-13
    goods = Decimal(36000) * rwf  # 21.3963...
    shipping = Decimal(25) * usd  # 21.3967...
    cent = Decimal("0.01")
    # Belgian VAT on coffee: 6% (reduced rate, foodstuffs; S58) on the supply.
    vat = ((goods + shipping) * Decimal("0.06")).quantize(cent, ROUND_HALF_UP)
    assert result["totals"]["customs"]["goods"] == "21.40"
    assert result["totals"]["customs"]["shipping"] == "21.40"
    assert result["totals"]["customs"]["taxes"] == str(vat) == "2.57"
    # 21.40 + 21.40 + 3.00 flat duty + 2.57 = 48.37.
    assert result["totals"]["customs"]["landed"] == "48.37"
    assert codes(result["warnings"]) == ["stale_fx_rate", "stale_fx_rate"]
    assert [(e["from"], e["to"]) for e in result["fx"]] == [("RWF", "EUR"), ("USD", "EUR")]


def test_a_consignment_inside_its_own_territory_is_not_an_import(snapshot: Snapshot) -> None:
    # Kigali to Kigali: 3 x RWF 12,000 of roasted coffee plus RWF 3,250 carriage. No duty
    # (the EAC CET would be 25%), no import VAT, no fee: RWF 39,250 landed.
    body = request(
        "RW",
        [line("0901.21", 3, "12000", "RWF", unit_weight_kg="0.5")],
        "2026-03-20",
        shipping=money("3250", "RWF"),
        currency="RWF",
    )
    result = run(snapshot, body)
    assert result["regime"]["id"] == "domestic"
    assert result["regime"]["why"] == "RW is inside the RW customs territory: not an import"
    assert result["regime"]["taxes_collected_at"] == "checkout"
    assert result["payable_on_delivery"] == {"amount": "0", "currency": "RWF"}
    assert result["payable_at_checkout"] == {"amount": "39250", "currency": "RWF"}
    assert result["totals"]["customs"] == {
        "goods": "36000",
        "shipping": "3250",
        "insurance": "0",
        "duty": "0",
        "fees": "0",
        "taxes": "0",
        "landed": "39250",
    }
    assert result["lines"][0]["taxes"] == [] and result["complete"] is True
    # France to Belgium: inside the EU customs territory, the same.
    intra = run(snapshot, request("BE", [line("0901.21", 1, "10.00", "EUR")], "2026-03-20", "FR"))
    assert (intra["regime"]["id"], intra["totals"]["customs"]["landed"]) == ("domestic", "10.00")
    # Rwanda to Belgium is an import as before.
    export = run(snapshot, request("BE", [line("0901.21", 1, "10.00", "EUR")], "2026-03-20"))
    assert export["regime"]["id"] != "domestic"
