"""Reads: HS search, the snapshot cache and its key, the published rules for the pages."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ewtp.traderules.models import ExchangeRate, FxState, TariffLine
from ewtp.traderules.selectors import snapshot
from ewtp.traderules.selectors.hs import hs_search, hs_search_page, hs_subheading_exists, hs_suggest
from ewtp.traderules.selectors.published import tariff_line_search, territory_rules
from ewtp.traderules.selectors.snapshot import (
    SNAPSHOT_CHECK_SECONDS,
    _cache,
    current_rules,
    quote_compute,
)
from ewtp.traderules.services.edits import rules_publish, tariff_line_save
from ewtp.traderules.services.fx import fx_rate_enter

pytestmark = pytest.mark.django_db


def test_roasted_coffee_ranks_0901_21_first() -> None:
    found = hs_search("roasted coffee")
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
    assert hs_search(text, limit=1)[0].code == first


def test_hs_search_by_code_prefix() -> None:
    assert [m.code for m in hs_search("0901")] == [
        "090111",
        "090112",
        "090121",
        "090122",
        "090190",
    ]
    assert [m.code for m in hs_search("0901.21")] == ["090121"]
    assert [m.code for m in hs_search("0901 21 10")] == ["090121"]
    assert hs_search("zzzqqq") == []
    assert hs_search("   ") == []


def test_hs_search_pages_and_suggestions() -> None:
    page = hs_search_page("coffee", page=1, per_page=3)
    assert page["page"] == 1 and page["pages"] == -(-page["total"] // 3)
    assert len(page["items"]) == 3
    assert [m.code for m in hs_suggest("Roasted coffee beans, 500 g", limit=2)] == [
        "090121",
        "090122",
    ]


def test_hs_subheading_exists() -> None:
    assert hs_subheading_exists("0901.21")
    assert hs_subheading_exists("090121")
    assert not hs_subheading_exists("0901")
    assert not hs_subheading_exists("090199")


def test_a_quote_does_not_query_the_database_between_checks(coffee_request: dict[str, Any]) -> None:
    quote_compute(coffee_request)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(20):
            quote_compute(coffee_request)
    assert len(queries) == 0


def test_the_key_is_checked_again_after_the_interval(
    monkeypatch: pytest.MonkeyPatch, coffee_request: dict[str, Any]
) -> None:
    quote_compute(coffee_request)
    monkeypatch.setattr(snapshot, "SNAPSHOT_CHECK_SECONDS", 0.0)
    with CaptureQueriesContext(connection) as queries:
        quote_compute(coffee_request)
    selects = [query for query in queries if query["sql"].startswith("SELECT")]
    assert len(selects) == 2  # the newest version, the FX revision: no rebuild
    assert current_rules().snapshot is current_rules().snapshot


def test_the_snapshot_follows_a_new_version_and_new_rates(
    monkeypatch: pytest.MonkeyPatch, steward: Any, operator: Any, kenyan_coffee: dict[str, Any]
) -> None:
    first = current_rules()
    assert quote_compute(kenyan_coffee)["lines"][0]["duty"]["amount"] == "22.50"
    line = TariffLine.objects.get(territory="EU", code="090121")
    line.mfn_ad_valorem = "0.10"
    tariff_line_save(actor=steward, tariff_line=line)
    version = rules_publish(actor=operator, note="10%")
    second = current_rules()
    assert second.label == version.label != first.label
    assert quote_compute(kenyan_coffee)["lines"][0]["duty"]["amount"] == "30.00"

    revision = FxState.objects.get().revision
    fx_rate_enter(
        actor=operator,
        date=second.created_at.date(),
        currency="KES",
        units_per_eur="150",
        source="CBK",
    )
    third = current_rules()
    assert third.fx_revision == revision + 1
    assert third.label == second.label
    assert ExchangeRate.objects.filter(origin="operator").count() == 1


def test_another_process_sees_a_new_version_within_the_interval(
    monkeypatch: pytest.MonkeyPatch, steward: Any, operator: Any, kenyan_coffee: dict[str, Any]
) -> None:
    quote_compute(kenyan_coffee)
    line = TariffLine.objects.get(territory="EU", code="090121")
    line.mfn_ad_valorem = "0.10"
    tariff_line_save(actor=steward, tariff_line=line)
    # Publish as another process would: this process's cache is not told.
    monkeypatch.setattr(snapshot, "snapshot_cache_clear", lambda: None)
    from ewtp.traderules.services import edits

    monkeypatch.setattr(edits, "snapshot_cache_clear", lambda: None)
    rules_publish(actor=operator, note="10%")
    assert quote_compute(kenyan_coffee)["lines"][0]["duty"]["amount"] == "22.50"
    monkeypatch.setattr(_cache, "checked_at", time.monotonic() - SNAPSHOT_CHECK_SECONDS)
    assert quote_compute(kenyan_coffee)["lines"][0]["duty"]["amount"] == "30.00"


def test_territory_rules_for_the_browser() -> None:
    found = territory_rules("CN")
    assert found is not None
    assert [regime["id"] for regime in found["regimes"]] == ["cn-cbec-retail"]
    assert {row["programme"] for row in found["preferences"]} == {"cn-ldc-zero", "cn-africa-zero"}
    assert len(found["tariff_lines"]) == 6
    assert territory_rules("XX") is None
    assert [row["code"] for row in tariff_line_search(found["tariff_lines"], "roasted coffee")] == [
        "090121"
    ]
    assert [row["code"] for row in tariff_line_search(found["tariff_lines"], "0902")] == [
        "09024090"
    ]
    # The page's annotations never reach the cached content.
    found["tariff_lines"][0]["status"] = "x"
    assert "status" not in current_rules().table("tariff_lines")[0]
