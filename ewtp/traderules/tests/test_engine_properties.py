"""Invariants of the quote over generated requests (hypothesis).

- a higher duty rate never lowers the landed total;
- each customs total is the sum of its rounded parts, and landed the sum of the totals;
- the displayed landed total is the sum of the displayed parts, and checkout plus delivery
  is the displayed landed total.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ewtp.traderules.engine import RuleSet, Snapshot, build_snapshot, quote
from ewtp.traderules.engine.files import load_shipped_ruleset

DATA = Path(__file__).resolve().parents[3] / "data"
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
DUTY_RATES = ("0", "0.01", "0.035", "0.075", "0.12", "0.35", "0.5", "1")


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_shipped_ruleset(DATA)


@pytest.fixture(scope="module")
def snapshot(ruleset: RuleSet) -> Snapshot:
    return build_snapshot(ruleset)


@pytest.fixture(scope="module")
def by_duty_rate(ruleset: RuleSet) -> dict[str, Snapshot]:
    """One snapshot per duty rate: every 6-digit coffee line (0901.21) set to that rate."""
    snapshots = {}
    for rate in DUTY_RATES:
        lines = tuple(
            {**row, "mfn_ad_valorem": rate} if row["code"] == "090121" else row
            for row in ruleset.tariff_lines
        )
        snapshots[rate] = build_snapshot(replace(ruleset, tariff_lines=lines))
    return snapshots


amounts = st.decimals(min_value=0, max_value=100_000, places=2).map(lambda d: f"{d:f}")
currencies = st.sampled_from(["EUR", "USD", "GBP", "CNY", "RWF", "KES", "MYR", "JPY"])
destinations = st.sampled_from(["BE", "FR", "DE", "GB", "US", "CN", "MY", "KE", "RW"])
origins = st.sampled_from(["RW", "KE", "BR", "CN", "UG", "PE"])
days = st.dates(min_value=datetime(2025, 1, 2).date(), max_value=datetime(2026, 12, 31).date())
hs_codes = st.sampled_from(
    [
        "090121",
        "0901.11",
        "0902.40.90",
        "040900",
        "080440",
        "0904.21.10",
        "0904.21",
        "610910",
        "3301.29.51",
        "640399",
        "4602.19.90",
        "2204.21",
    ]
)


@st.composite
def requests(draw: st.DrawFn, hs: st.SearchStrategy[str] = hs_codes) -> dict[str, Any]:
    count = draw(st.integers(min_value=1, max_value=4))
    lines = [
        {
            "id": f"l{index}",
            "hs_code": draw(hs),
            "quantity": draw(st.integers(min_value=1, max_value=50)),
            "unit_price": {"amount": draw(amounts), "currency": draw(currencies)},
            "unit_weight_kg": draw(st.sampled_from(["0.1", "0.5", "1", "2.25"])),
            "origin": draw(origins),
        }
        for index in range(count)
    ]
    return {
        "origin": draw(origins),
        "destination": draw(destinations),
        "date": draw(days).isoformat(),
        "currency": draw(currencies),
        "incoterm": draw(st.sampled_from(["DDP", "DAP"])),
        "buyer": {"kind": draw(st.sampled_from(["consumer", "business"]))},
        "proof_of_origin": draw(st.booleans()),
        "shipping": {"amount": draw(amounts), "currency": draw(currencies)},
        "insurance": {"amount": draw(amounts), "currency": draw(currencies)},
        "lines": lines,
    }


def _sum(values: list[str]) -> Decimal:
    return sum((Decimal(value) for value in values), Decimal(0))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=requests())
def test_totals_are_the_sums_of_their_parts(snapshot: Snapshot, body: dict[str, Any]) -> None:
    result = quote(body, snapshot, now=NOW)
    customs = {key: Decimal(value) for key, value in result["totals"]["customs"].items()}
    lines = result["lines"]
    duty = _sum(
        [item["duty"]["amount"] for item in lines if item["duty"] is not None]
        + [extra["amount"] for item in lines for extra in item["additional_duties"]]
        + [item["amount"] for item in result["consignment_duties"]]
    )
    assert customs["duty"] == duty
    assert customs["fees"] == _sum(
        [fee["amount"] for item in lines for fee in item["fees"]]
        + [fee["amount"] for fee in result["consignment_fees"]]
    )
    assert customs["taxes"] == _sum([tax["amount"] for item in lines for tax in item["taxes"]])
    assert customs["landed"] == sum(
        customs[key] for key in ("goods", "shipping", "insurance", "duty", "fees", "taxes")
    )
    # Complete unless a duty or a tax rate is unknown.
    assert result["complete"] == (
        all(item["duty"] is not None for item in lines)
        and not any(warning["code"] == "tax_rate_unknown" for warning in result["warnings"])
    )


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=requests())
def test_display_landed_is_the_sum_of_display_parts(
    snapshot: Snapshot, body: dict[str, Any]
) -> None:
    result = quote(body, snapshot, now=NOW)
    display = {key: Decimal(value) for key, value in result["totals"]["display"].items()}
    assert display["landed"] == sum(
        display[key] for key in ("goods", "shipping", "insurance", "duty", "fees", "taxes")
    )
    checkout = Decimal(result["payable_at_checkout"]["amount"])
    delivery = Decimal(result["payable_on_delivery"]["amount"])
    assert checkout + delivery == display["landed"]
    assert checkout >= 0 and delivery >= 0
    if body["incoterm"] == "DDP":
        assert delivery == 0
    # Every amount has the display currency's minor unit.
    places = {"JPY": 0, "RWF": 0}.get(body["currency"], 2)
    for value in result["totals"]["display"].values():
        assert -Decimal(value).as_tuple().exponent == places  # type: ignore[operator]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=requests(hs=st.sampled_from(["0901.21", "0901.21.00", "0901.11", "0409.00"])),
    low=st.integers(min_value=0, max_value=len(DUTY_RATES) - 1),
    step=st.integers(min_value=0, max_value=len(DUTY_RATES) - 1),
)
def test_a_higher_duty_rate_never_lowers_the_landed_total(
    by_duty_rate: dict[str, Snapshot], body: dict[str, Any], low: int, step: int
) -> None:
    high = min(low + step, len(DUTY_RATES) - 1)
    cheaper = quote(body, by_duty_rate[DUTY_RATES[low]], now=NOW)
    dearer = quote(body, by_duty_rate[DUTY_RATES[high]], now=NOW)
    for which in ("customs", "display"):
        assert Decimal(dearer["totals"][which]["landed"]) >= Decimal(
            cheaper["totals"][which]["landed"]
        )
    assert Decimal(dearer["totals"]["customs"]["duty"]) >= Decimal(
        cheaper["totals"]["customs"]["duty"]
    )
