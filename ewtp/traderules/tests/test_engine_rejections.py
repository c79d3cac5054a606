"""Rejected requests: every error code, the fields it names, and the order of the checks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ewtp.traderules.engine import QuoteRejected, Snapshot, build_snapshot, quote
from ewtp.traderules.engine.files import load_shipped_ruleset

DATA = Path(__file__).resolve().parents[3] / "data"
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    return build_snapshot(load_shipped_ruleset(DATA))


def good_line(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": "a",
        "hs_code": "0901.21",
        "quantity": 3,
        "unit_price": {"amount": "12000", "currency": "RWF"},
        "unit_weight_kg": "0.5",
    }
    item.update(changes)
    return {key: value for key, value in item.items() if value is not ...}


def good_request(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "origin": "RW",
        "destination": "BE",
        "date": "2026-03-20",
        "currency": "EUR",
        "lines": [good_line()],
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


def rejected(snapshot: Snapshot, body: Any) -> QuoteRejected:
    with pytest.raises(QuoteRejected) as caught:
        quote(body, snapshot, now=NOW)
    return caught.value


def test_the_good_request_is_priced(snapshot: Snapshot) -> None:
    assert quote(good_request(), snapshot, now=NOW)["complete"] is True


def test_too_many_lines_is_checked_first(snapshot: Snapshot) -> None:
    # 101 malformed lines to an unknown destination: too_many_lines wins.
    error = rejected(snapshot, good_request(destination="ZZ", lines=[{}] * 101))
    assert error.code == "too_many_lines"
    assert set(error.fields) == {"lines"}
    assert error.as_dict() == {
        "code": "too_many_lines",
        "message": error.message,
        "fields": {"lines": "at most 100 lines, got 101"},
    }
    # 100 lines is the limit and is fine.
    body = good_request(lines=[good_line(id=str(i)) for i in range(100)])
    assert len(quote(body, snapshot, now=NOW)["lines"]) == 100


def test_float_amount_is_refused(snapshot: Snapshot) -> None:
    body = good_request(lines=[good_line(unit_price={"amount": 12000.0, "currency": "RWF"})])
    error = rejected(snapshot, body)
    assert error.code == "invalid_request"
    assert list(error.fields) == ["lines.0.unit_price.amount"]
    assert "not a number" in error.fields["lines.0.unit_price.amount"]


def test_all_missing_and_malformed_fields_are_listed_together(snapshot: Snapshot) -> None:
    body = {
        "origin": "RW",
        "currency": "eur",
        "shipping": {"amount": 25.5, "currency": "USD"},
        "insurance": {"amount": "1", "currency": "ABC"},
        "lines": [
            {"id": "a", "quantity": 1, "unit_price": {"amount": "1"}},
            good_line(quantity=True, unit_weight_kg=0.5),
            good_line(hs_code="0901", unit_price={"amount": "-1", "currency": "RWF"}),
        ],
    }
    error = rejected(snapshot, body)
    assert error.code == "invalid_request"
    assert error.fields.keys() == {
        "destination",
        "currency",
        "shipping.amount",
        "insurance.currency",
        "lines.0.hs_code",
        "lines.0.unit_price.currency",
        "lines.1.quantity",
        "lines.1.unit_weight_kg",
        "lines.2.hs_code",
        "lines.2.unit_price.amount",
    }
    assert error.fields["destination"] == "required"
    assert error.fields["lines.0.hs_code"] == "required"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"origin": "rw"}, "origin"),
        ({"destination": "BEL"}, "destination"),
        ({"date": "2026-13-01"}, "date"),
        ({"date": "20260320"}, "date"),
        ({"currency": "ABC"}, "currency"),
        ({"currency": 978}, "currency"),
        ({"incoterm": "CIF"}, "incoterm"),
        ({"buyer": {"kind": "company"}}, "buyer.kind"),
        ({"buyer": "consumer"}, "buyer"),
        ({"buyer": {"cbec_used_this_year": {"amount": "1"}}}, "buyer.cbec_used_this_year.currency"),
        ({"proof_of_origin": "yes"}, "proof_of_origin"),
        ({"shipping": "25 USD"}, "shipping"),
        ({"shipping": {"amount": "1e3", "currency": "USD"}}, "shipping.amount"),
        ({"shipping": {"amount": " 10", "currency": "USD"}}, "shipping.amount"),
        ({"shipping": {"amount": "NaN", "currency": "USD"}}, "shipping.amount"),
        ({"shipping": {"amount": "", "currency": "USD"}}, "shipping.amount"),
        ({"shipping": {"amount": "12.", "currency": "USD"}}, "shipping.amount"),
        ({"shipping": {"amount": ".5", "currency": "USD"}}, "shipping.amount"),
        ({"shipping": {"amount": "1.2.3", "currency": "USD"}}, "shipping.amount"),
        ({"shipping": {"amount": "\u0661\u0662", "currency": "USD"}}, "shipping.amount"),
        ({"shipping": {"amount": "1.1234567890123", "currency": "USD"}}, "shipping.amount"),
        ({"insurance": {"amount": "10", "currency": "usd"}}, "insurance.currency"),
        ({"lines": []}, "lines"),
        ({"lines": "coffee"}, "lines"),
        ({"lines": ...}, "lines"),
        ({"lines": ["coffee"]}, "lines.0"),
        ({"lines": [good_line(quantity=0)]}, "lines.0.quantity"),
        ({"lines": [good_line(quantity=100001)]}, "lines.0.quantity"),
        ({"lines": [good_line(quantity=2.0)]}, "lines.0.quantity"),
        ({"lines": [good_line(quantity="2")]}, "lines.0.quantity"),
        ({"lines": [good_line(unit_weight_kg="0")]}, "lines.0.unit_weight_kg"),
        ({"lines": [good_line(unit_weight_kg="-1")]}, "lines.0.unit_weight_kg"),
        ({"lines": [good_line(hs_code="09012A")]}, "lines.0.hs_code"),
        ({"lines": [good_line(hs_code="09012100000")]}, "lines.0.hs_code"),
        ({"lines": [good_line(hs_code=90121)]}, "lines.0.hs_code"),
        ({"lines": [good_line(origin="Rwanda")]}, "lines.0.origin"),
        ({"lines": [good_line(unit_price=...)]}, "lines.0.unit_price"),
        (
            {"lines": [good_line(unit_price={"amount": "1", "currency": "RWF", "x": 1}, id=[1])]},
            "lines.0.id",
        ),
    ],
)
def test_each_malformed_field_is_named(
    snapshot: Snapshot, change: dict[str, Any], field: str
) -> None:
    error = rejected(snapshot, good_request(**change))
    assert error.code == "invalid_request"
    assert list(error.fields) == [field]


def test_request_must_be_an_object(snapshot: Snapshot) -> None:
    error = rejected(snapshot, ["not", "an", "object"])
    assert (error.code, list(error.fields)) == ("invalid_request", ["request"])


def test_integer_weight_and_plain_decimal_strings_are_accepted(snapshot: Snapshot) -> None:
    body = good_request(
        lines=[good_line(unit_weight_kg=2, unit_price={"amount": "0.5", "currency": "EUR"})]
    )
    assert quote(body, snapshot, now=NOW)["totals"]["customs"]["goods"] == "1.50"


def test_unknown_hs_code(snapshot: Snapshot) -> None:
    # 0901.99 is well formed but not an HS 2022 subheading (0901.90 is).
    body = good_request(lines=[good_line(), good_line(id="b", hs_code="0901.99.10")])
    error = rejected(snapshot, body)
    assert error.code == "unknown_hs_code"
    assert error.fields == {"lines.1.hs_code": "0901.99 is not an HS 2022 subheading"}


def test_unknown_hs_code_comes_before_unsupported_destination(snapshot: Snapshot) -> None:
    body = good_request(destination="JP", lines=[good_line(hs_code="0901.99")])
    assert rejected(snapshot, body).code == "unknown_hs_code"


def test_invalid_request_comes_before_unknown_hs_code(snapshot: Snapshot) -> None:
    body = good_request(currency="XYZ", lines=[good_line(hs_code="0901.99")])
    assert rejected(snapshot, body).code == "invalid_request"


@pytest.mark.parametrize("destination", ["JP", "CH", "BR"])
def test_unsupported_destination(snapshot: Snapshot, destination: str) -> None:
    error = rejected(snapshot, good_request(destination=destination))
    assert error.code == "unsupported_destination"
    assert list(error.fields) == ["destination"]


@pytest.mark.parametrize("code", ["ZZ", "EU", "UK", "XX"])
def test_a_code_that_is_no_iso_country_is_an_invalid_request(snapshot: Snapshot, code: str) -> None:
    for field in ("origin", "destination"):
        error = rejected(snapshot, good_request(**{field: code}))
        assert (error.code, error.fields) == (
            "invalid_request",
            {field: "must be an ISO 3166-1 alpha-2 code such as RW"},
        )
    error = rejected(snapshot, good_request(lines=[good_line(origin=code)]))
    assert error.fields == {"lines.0.origin": "must be an ISO 3166-1 alpha-2 code such as RW"}


def test_the_comtrade_pseudo_code_999999_is_no_hs_subheading(snapshot: Snapshot) -> None:
    error = rejected(snapshot, good_request(lines=[good_line(hs_code="9999.99")]))
    assert (error.code, error.fields) == (
        "unknown_hs_code",
        {"lines.0.hs_code": "9999.99 is not an HS 2022 subheading"},
    )


def test_unsupported_destination_comes_before_a_missing_rate(snapshot: Snapshot) -> None:
    body = good_request(destination="JP", currency="XAF")
    assert rejected(snapshot, body).code == "unsupported_destination"


def test_display_currency_without_a_rate(snapshot: Snapshot) -> None:
    # XAF is an ISO 4217 currency (so the request is well formed) with no rate in the data.
    error = rejected(snapshot, good_request(currency="XAF"))
    assert error.code == "fx_rate_unavailable"
    assert error.fields == {"currency": "no XAF rate on or before 2026-03-20"}


def test_every_amount_without_a_rate_is_listed(snapshot: Snapshot) -> None:
    body = good_request(
        shipping={"amount": "10", "currency": "NGN"},
        insurance={"amount": "0", "currency": "NGN"},  # zero: needs no rate
        lines=[
            good_line(unit_price={"amount": "5", "currency": "XOF"}),
            good_line(id="b"),
            good_line(id="c", unit_price={"amount": "5", "currency": "XOF"}),
        ],
    )
    error = rejected(snapshot, body)
    assert error.code == "fx_rate_unavailable"
    assert error.fields == {
        "lines.0.unit_price.currency": "no XOF rate on or before 2026-03-20",
        "lines.2.unit_price.currency": "no XOF rate on or before 2026-03-20",
        "shipping.currency": "no NGN rate on or before 2026-03-20",
    }


def test_no_rate_yet_on_an_early_date(snapshot: Snapshot) -> None:
    # The RWF series starts 2024-11-13.
    error = rejected(snapshot, good_request(date="2024-11-12"))
    assert error.code == "fx_rate_unavailable"
    assert error.fields == {"lines.0.unit_price.currency": "no RWF rate on or before 2024-11-12"}


def test_missing_rate_of_the_customs_currency(snapshot: Snapshot) -> None:
    # Prices in EUR to Rwanda need the RWF rate, which does not exist before 2024-11-13.
    body = good_request(
        destination="RW",
        currency=...,
        date="2024-11-01",
        lines=[good_line(unit_price={"amount": "5", "currency": "EUR"})],
    )
    error = rejected(snapshot, body)
    assert error.code == "fx_rate_unavailable"
    assert error.fields == {"lines.0.unit_price.currency": "no RWF rate on or before 2024-11-01"}


def test_weight_needed_for_a_duty_per_kg_leaves_the_line_incomplete(snapshot: Snapshot) -> None:
    body = good_request(
        destination="US",
        origin="BR",
        currency=...,
        date="2025-09-01",
        lines=[
            good_line(
                hs_code="0409.00", unit_weight_kg=..., unit_price={"amount": "5", "currency": "USD"}
            ),
            good_line(
                id="b",
                hs_code="6109.10",
                unit_weight_kg=...,
                unit_price={"amount": "5", "currency": "USD"},
            ),
        ],
    )
    # Second edition: a specific duty whose quantity the request lacks leaves that line's
    # duty unknown (the quote is incomplete, the missing field named), never a guess.
    result = quote(body, snapshot)
    assert result["complete"] is False
    honey, shirt = result["lines"]
    assert honey["duty"] is None
    [warning] = [item for item in result["warnings"] if item["code"] == "quantity_missing"]
    # Only the honey line has a specific duty; the T-shirt's ad valorem duty needs no weight.
    assert warning["fields"] == {
        "lines.0.unit_weight_kg": "required: tariff line 040900 has a duty per kg"
    }
    # 16.5% x (3 x 5.00) = 2.475 -> 2.48 (HTS 6109.10.00).
    assert shirt["duty"]["amount"] == "2.48"


def test_amount_limits(snapshot: Snapshot) -> None:
    # Twelve integer digits is the most a unit price may have ...
    error = rejected(
        snapshot, good_request(shipping={"amount": "1234567890123", "currency": "EUR"})
    )
    assert list(error.fields) == ["shipping.amount"]
    # ... and the largest possible consignment is still priced, even shown in rupiah.
    biggest = good_line(
        quantity=100000, unit_price={"amount": "999999999999.99", "currency": "EUR"}
    )
    body = good_request(
        destination="DE",
        currency="IDR",
        lines=[{**biggest, "id": str(i)} for i in range(100)],
    )
    result = quote(body, snapshot, now=NOW)
    # Goods 100 x 100000 x 999999999999.99 EUR = 9999999999999900000.00 EUR.
    assert result["totals"]["customs"]["goods"] == "9999999999999900000.00"
