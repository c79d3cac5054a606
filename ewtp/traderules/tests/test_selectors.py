"""Reads: HS search, the snapshot cache and its key, the published rules for the pages."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ewtp.traderules import selectors
from ewtp.traderules.models import ExchangeRate, FxState, TariffLine
from ewtp.traderules.services import fx_rate_enter, rules_publish, tariff_line_save

pytestmark = pytest.mark.django_db


def test_roasted_coffee_ranks_0901_21_first() -> None:
    found = selectors.hs_search("roasted coffee")
    assert [match.code for match in found[:2]] == ["090121", "090122"]
    assert found[0].dotted == "0901.21"
    assert found[0].description == "Coffee; roasted, not decaffeinated"
    assert found[0].heading == "0901"
    assert found[0].chapter_description == "Coffee, tea, mate and spices"


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("decaffeinated coffee", "090112"),
        ("Roasted Coffee beans", "090121"),
        ("natural honey", "040900"),
        ("avocados", "080440"),
        ("black tea", "090230"),
        ("coff", "090111"),
        ("macadamia nuts shelled", "080262"),
        ("cotton t-shirts", "610910"),
    ],
)
def test_hs_search_by_words(text: str, first: str) -> None:
    assert selectors.hs_search(text, limit=1)[0].code == first


def test_hs_search_by_code_prefix() -> None:
    assert [m.code for m in selectors.hs_search("0901")] == [
        "090111",
        "090112",
        "090121",
        "090122",
        "090190",
    ]
    assert [m.code for m in selectors.hs_search("0901.21")] == ["090121"]
    assert [m.code for m in selectors.hs_search("0901 21 10")] == ["090121"]
    assert selectors.hs_search("zzzqqq") == []
    assert selectors.hs_search("   ") == []


def test_hs_search_pages_and_suggestions() -> None:
    page = selectors.hs_search_page("coffee", page=1, per_page=3)
    assert page["page"] == 1 and page["pages"] == -(-page["total"] // 3)
    assert len(page["items"]) == 3
    assert [m.code for m in selectors.hs_suggest("Roasted coffee beans, 500 g", limit=2)] == [
        "090121",
        "090122",
    ]


def test_hs_subheading_exists() -> None:
    assert selectors.hs_subheading_exists("0901.21")
    assert selectors.hs_subheading_exists("090121")
    assert not selectors.hs_subheading_exists("0901")
    assert not selectors.hs_subheading_exists("090199")


def test_a_quote_does_not_query_the_database_between_checks(coffee_request: dict[str, Any]) -> None:
    selectors.quote_compute(coffee_request)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(20):
            selectors.quote_compute(coffee_request)
    assert len(queries) == 0


def test_the_key_is_checked_again_after_the_interval(
    monkeypatch: pytest.MonkeyPatch, coffee_request: dict[str, Any]
) -> None:
    selectors.quote_compute(coffee_request)
    monkeypatch.setattr(selectors, "SNAPSHOT_CHECK_SECONDS", 0.0)
    with CaptureQueriesContext(connection) as queries:
        selectors.quote_compute(coffee_request)
    selects = [query for query in queries if query["sql"].startswith("SELECT")]
    assert len(selects) == 2  # the newest version, the FX revision: no rebuild
    assert selectors.current_rules().snapshot is selectors.current_rules().snapshot


def test_the_snapshot_follows_a_new_version_and_new_rates(
    monkeypatch: pytest.MonkeyPatch, steward: Any, operator: Any, kenyan_coffee: dict[str, Any]
) -> None:
    first = selectors.current_rules()
    assert selectors.quote_compute(kenyan_coffee)["lines"][0]["duty"]["amount"] == "22.50"
    line = TariffLine.objects.get(territory="EU", code="090121")
    line.mfn_ad_valorem = "0.10"
    tariff_line_save(actor=steward, tariff_line=line)
    version = rules_publish(actor=steward, note="10%")
    second = selectors.current_rules()
    assert second.label == version.label != first.label
    assert selectors.quote_compute(kenyan_coffee)["lines"][0]["duty"]["amount"] == "30.00"

    revision = FxState.objects.get().revision
    fx_rate_enter(
        actor=operator,
        date=second.created_at.date(),
        currency="KES",
        units_per_eur="150",
        source="CBK",
    )
    third = selectors.current_rules()
    assert third.fx_revision == revision + 1
    assert third.label == second.label
    assert ExchangeRate.objects.filter(origin="operator").count() == 1


def test_another_process_sees_a_new_version_within_the_interval(
    monkeypatch: pytest.MonkeyPatch, steward: Any, kenyan_coffee: dict[str, Any]
) -> None:
    selectors.quote_compute(kenyan_coffee)
    line = TariffLine.objects.get(territory="EU", code="090121")
    line.mfn_ad_valorem = "0.10"
    tariff_line_save(actor=steward, tariff_line=line)
    # Publish as another process would: this process's cache is not told.
    monkeypatch.setattr(selectors, "snapshot_cache_clear", lambda: None)
    from ewtp.traderules import services

    monkeypatch.setattr(services.selectors, "snapshot_cache_clear", lambda: None)
    rules_publish(actor=steward, note="10%")
    assert selectors.quote_compute(kenyan_coffee)["lines"][0]["duty"]["amount"] == "22.50"
    monkeypatch.setattr(
        selectors._cache, "checked_at", time.monotonic() - selectors.SNAPSHOT_CHECK_SECONDS
    )
    assert selectors.quote_compute(kenyan_coffee)["lines"][0]["duty"]["amount"] == "30.00"


def test_territory_rules_for_the_browser() -> None:
    found = selectors.territory_rules("CN")
    assert found is not None
    assert [regime["id"] for regime in found["regimes"]] == ["cn-cbec-retail"]
    assert {row["programme"] for row in found["preferences"]} == {"cn-ldc-zero", "cn-africa-zero"}
    assert len(found["tariff_lines"]) == 6
    assert selectors.territory_rules("XX") is None
    assert [
        row["code"] for row in selectors.tariff_line_search(found["tariff_lines"], "roasted coffee")
    ] == ["090121"]
    assert [row["code"] for row in selectors.tariff_line_search(found["tariff_lines"], "0902")] == [
        "09024090"
    ]
    # The page's annotations never reach the cached content.
    found["tariff_lines"][0]["status"] = "x"
    assert "status" not in selectors.current_rules().table("tariff_lines")[0]
