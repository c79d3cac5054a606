"""The same quote through the function, the command and the API; every rejection code."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from ewtp.traderules.errors import QuoteRejectedError
from ewtp.traderules.models import RuleVersion
from ewtp.traderules.selectors.snapshot import quote_compute

from .conftest import without_volatile

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


def _command(*args: str, stdin: str | None = None) -> str:
    out = io.StringIO()
    if stdin is not None:
        old, sys.stdin = sys.stdin, io.StringIO(stdin)
        try:
            call_command("quote", *args, stdout=out)
        finally:
            sys.stdin = old
    else:
        call_command("quote", *args, stdout=out)
    return out.getvalue()


def test_the_quote_is_the_same_through_function_command_and_api(
    tmp_path: Path, client: Client, coffee_request: dict[str, Any]
) -> None:
    by_function = quote_compute(coffee_request)
    path = tmp_path / "request.json"
    path.write_text(json.dumps(coffee_request), encoding="utf-8")
    printed = _command(str(path))
    by_command = json.loads(printed)
    response = client.post("/api/v1/quotes", coffee_request, content_type="application/json")
    assert response.status_code == 200
    by_api = response.json()
    assert without_volatile(by_function) == without_volatile(by_command) == without_volatile(by_api)
    # Deterministic output: indent 2, keys in the contract's order.
    assert printed.startswith('{\n  "quote_id": "q_')
    assert list(by_command)[:4] == ["quote_id", "complete", "rules_version", "origin"]
    assert by_function["rules_version"] == RuleVersion.objects.get().label
    assert by_function["regime"]["id"] == "eu-low-value-2026"
    assert [(d["kind"], d["count"], d["amount"]) for d in by_function["consignment_duties"]] == [
        ("flat_per_hs6", 1, "3.00")
    ]
    assert by_function["totals"]["customs"] == {
        "goods": "21.40",
        "shipping": "0.00",
        "insurance": "0.00",
        "duty": "3.00",
        "fees": "0.00",
        "taxes": "1.28",  # Belgian VAT on coffee 6% of the supply 21.40 = 1.284
        "landed": "25.68",
    }
    assert _command(stdin=json.dumps(coffee_request)).startswith('{\n  "quote_id"')


def test_the_command_explains(coffee_request: dict[str, Any]) -> None:
    text = _command("--explain", stdin=json.dumps(coffee_request))
    assert "Regime: eu-low-value-2026" in text
    assert "25.68" in text


def test_a_rejection_exits_with_status_2_and_prints_the_error() -> None:
    out = io.StringIO()
    old, sys.stdin = sys.stdin, io.StringIO('{"origin": "RW", "destination": "JP", "lines": []}')
    try:
        with pytest.raises(CommandError) as caught:
            call_command("quote", stdout=out)
    finally:
        sys.stdin = old
    assert caught.value.returncode == 2
    assert json.loads(out.getvalue()) == {
        "code": "invalid_request",
        "message": "The request has 1 invalid or missing field.",
        "fields": {"lines": "at least one line is required"},
    }


def test_the_real_command_on_an_unmigrated_database(
    tmp_path: Path, coffee_request: dict[str, Any]
) -> None:
    """`ewtp quote` works before `ewtp migrate`: it falls back to the shipped files."""
    env = {**os.environ, "EWTP_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)
    ewtp = [sys.executable, "-m", "ewtp.cli", "quote"]
    done = subprocess.run(
        ewtp,
        input=json.dumps(coffee_request),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["rules_version"] == "shipped"
    assert without_volatile(body) == {
        **without_volatile(quote_compute(coffee_request)),
        "rules_version": "shipped",
    }


def _base() -> dict[str, Any]:
    return {
        "origin": "RW",
        "destination": "BE",
        "date": "2026-11-26",
        "lines": [
            {"hs_code": "090121", "quantity": 1, "unit_price": {"amount": "10", "currency": "EUR"}}
        ],
    }


REJECTIONS = [
    (
        {"lines": [_base()["lines"][0]] * 101},
        "too_many_lines",
        {"lines": "at most 100 lines, got 101"},
    ),
    ({"origin": None}, "invalid_request", {"origin": "required"}),
    (
        {
            "lines": [
                {
                    "hs_code": "999998",
                    "quantity": 1,
                    "unit_price": {"amount": "1", "currency": "EUR"},
                }
            ]
        },
        "unknown_hs_code",
        {"lines.0.hs_code": "9999.98 is not an HS 2022 subheading"},
    ),
    ({"destination": "JP"}, "unsupported_destination", {"destination": "no rules for JP"}),
    (
        {
            "lines": [
                {
                    "hs_code": "090121",
                    "quantity": 1,
                    "unit_price": {"amount": "10", "currency": "XOF"},
                }
            ]
        },
        "fx_rate_unavailable",
        {"lines.0.unit_price.currency": "no XOF rate on or before 2026-11-26"},
    ),
]


@pytest.mark.parametrize(("change", "code", "fields"), REJECTIONS, ids=[r[1] for r in REJECTIONS])
def test_every_rejection_code_through_the_api_function_and_command(
    client: Client, change: dict[str, Any], code: str, fields: dict[str, str]
) -> None:
    request = {**_base(), **change}
    request = {key: value for key, value in request.items() if value is not None}
    response = client.post("/api/v1/quotes", request, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code
    assert body["fields"] == fields
    assert list(body) == ["code", "message", "fields"]
    with pytest.raises(QuoteRejectedError) as caught:
        quote_compute(request)
    assert caught.value.as_dict() == body
    assert caught.value.http_status == 422
    out = io.StringIO()
    old, sys.stdin = sys.stdin, io.StringIO(json.dumps(request))
    try:
        with pytest.raises(CommandError) as failed:
            call_command("quote", stdout=out)
    finally:
        sys.stdin = old
    assert failed.value.returncode == 2
    assert json.loads(out.getvalue()) == body


def test_malformed_json_and_a_float_are_invalid_requests(client: Client) -> None:
    response = client.post("/api/v1/quotes", "{not json", content_type="application/json")
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid_request",
        "message": "The body is not valid JSON.",
        "fields": {"body": "not valid JSON"},
    }
    request = _base()
    request["lines"][0]["unit_price"]["amount"] = 10.5
    response = client.post("/api/v1/quotes", request, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert "lines.0.unit_price.amount" in response.json()["fields"]
    response = client.post("/api/v1/quotes", "[1, 2]", content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (422, "invalid_request")


def test_the_quote_endpoint_is_rate_limited(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import cache

    from ewtp.core import ratelimit

    # One fixed minute, so that the window cannot turn over half-way through the test.
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_030.0)
    cache.clear()
    settings.EWTP_RATE_LIMITS = True
    statuses = [
        client.post("/api/v1/quotes", _base(), content_type="application/json").status_code
        for _ in range(121)
    ]
    assert statuses[:120] == [200] * 120
    assert statuses[120] == 429
    cache.clear()
