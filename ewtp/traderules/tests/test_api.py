"""The public rule-data endpoints and their OpenAPI documentation."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ewtp.traderules.models import RuleVersion, TariffLine
from ewtp.traderules.services.edits import rules_publish, tariff_line_save

pytestmark = pytest.mark.django_db


def test_hs_search_endpoint(client: Client) -> None:
    response = client.get("/api/v1/traderules/hs", {"q": "roasted coffee", "per_page": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["page"] == 1
    assert body["total"] >= 3
    assert body["pages"] == -(-body["total"] // 2)
    assert body["items"][0] == {
        "code": "090121",
        "dotted": "0901.21",
        "description": "Coffee; roasted, not decaffeinated",
        "heading": "0901",
        "heading_description": (
            "Coffee, whether or not roasted or decaffeinated; husks and skins; coffee "
            "substitutes containing coffee in any proportion"
        ),
        "chapter": "09",
        "chapter_description": "Coffee, tea, mate and spices",
        "section": "II",
    }
    empty = client.get("/api/v1/traderules/hs", {"q": ""}).json()
    assert empty == {"items": [], "page": 1, "pages": 1, "total": 0}


def test_territories_endpoint(client: Client) -> None:
    body = client.get("/api/v1/traderules/territories").json()
    assert body["total"] == 7
    assert body["rules_version"] == RuleVersion.objects.get().label
    eu = body["items"][0]
    assert eu["territory"] == "EU"
    assert eu["customs_currency"] == "EUR"
    assert len(eu["members"]) == 27
    assert eu["regimes"] == [
        "eu-gift-45",
        "eu-ioss-2021",
        "eu-low-value-relief-2021",
        "eu-low-value-2026",
        "eu-low-value-2026-non-ioss",
        "eu-gift-flat-700",
    ]
    second_page = client.get("/api/v1/traderules/territories", {"per_page": 5, "page": 2}).json()
    assert [item["territory"] for item in second_page["items"]] == ["KE", "RW"]
    assert (second_page["page"], second_page["pages"]) == (2, 2)


def test_versions_endpoint(client: Client, steward: Any, operator: Any) -> None:
    line = TariffLine.objects.get(territory="EU", code="090121")
    line.mfn_ad_valorem = "0.08"
    tariff_line_save(actor=steward, tariff_line=line)
    version = rules_publish(actor=operator, note="8%")
    body = client.get("/api/v1/traderules/versions").json()
    assert body["total"] == 2
    newest, shipped = body["items"]
    assert newest["label"] == version.label
    assert newest["in_force"] is True and shipped["in_force"] is False
    assert newest["created_by"] == "operator@example.org"
    assert newest["changes"] == {"tariff_lines": {"added": 0, "removed": 0, "changed": 1}}
    assert shipped["created_by"] is None
    assert shipped["note"] == "shipped reference data"


def test_openapi_documents_the_endpoints(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    quote = schema["paths"]["/api/v1/quotes"]["post"]
    assert quote["summary"] == "Landed-cost quote"
    assert "fx_rate_unavailable" in quote["description"]
    assert "example" in quote["requestBody"]["content"]["application/json"]
    assert "422" in quote["responses"]
    for path in (
        "/api/v1/traderules/hs",
        "/api/v1/traderules/territories",
        "/api/v1/traderules/versions",
    ):
        assert schema["paths"][path]["get"]["summary"]
        assert schema["paths"][path]["get"]["description"]
