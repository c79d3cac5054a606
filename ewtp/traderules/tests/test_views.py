"""The pages: public browser and calculator, steward pages, the operator's rate entry."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from ewtp.core.models import AuditLog
from ewtp.traderules.models import ExchangeRate, PublicationRequest, RuleVersion, TariffLine, Tax

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/rules/",
        "/rules/territories/EU/",
        "/rules/territories/CN/?on=2026-11-26",
        "/rules/territories/US/?q=0904&tl_page=1&tax_page=1",
        "/rules/sources/",
        "/rules/sources/?q=ECB",
        "/rules/sources/S09/",
        "/rules/hs/",
        "/rules/hs/?q=roasted+coffee&page=2",
        "/rules/quote/",
        "/rules/versions/",
        "/rules/fx/",
        "/rules/fx/?currency=RWF&origin=rule_table&page=1",
    ],
)
def test_public_pages(client: Client, url: str) -> None:
    assert client.get(url).status_code == 200


def test_missing_things_are_404(client: Client) -> None:
    for url in ("/rules/territories/XX/", "/rules/sources/S999/", "/rules/versions/1999-01-01.1/"):
        assert client.get(url).status_code == 404


def test_territory_page_shows_rules_with_sources(client: Client) -> None:
    html = client.get("/rules/territories/EU/").content.decode()
    assert "eu-low-value-2026" in html
    assert "3 EUR for each distinct 6-digit subheading" in html
    assert 'href="/rules/sources/S09/"' in html
    assert "eu-eba" in html
    partial = client.get(
        "/rules/territories/EU/",
        {"q": "roasted coffee", "part": "tariff_lines"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "<html" not in partial
    assert "0901.21" in partial and "0901.11" not in partial
    empty = client.get("/rules/territories/EU/", {"q": "zzzz"}).content.decode()
    assert "No tariff line matches" in empty


def test_hs_search_as_you_type_in_the_calculator(client: Client) -> None:
    html = client.get(
        "/rules/quote/hs/", {"line": "2", "line-2-find": "roasted coffee"}
    ).content.decode()
    buttons = re.findall(r'data-testid="suggestion">([^<]+)<', html)
    assert buttons[:2] == ["0901.21", "0901.22"]
    assert "code=090121" in html and 'hx-target="#line-2-code"' in html
    picked = client.get("/rules/quote/hs/pick/", {"line": "2", "code": "090121"}).content.decode()
    assert 'name="line-2-hs_code" value="0901.21"' in picked
    assert 'id="line-2-suggestions"' in picked and 'hx-swap-oob="true"' in picked


def _form(**lines: str) -> dict[str, str]:
    data = {
        "origin": "RW",
        "destination": "BE",
        "date": "2026-11-26",
        "currency": "EUR",
        "incoterm": "DDP",
        "buyer_kind": "consumer",
        "proof_of_origin": "on",
        "shipping_currency": "RWF",
        "insurance_currency": "RWF",
        "action": "quote",
    }
    data.update(lines)
    return data


def test_the_calculator_quotes(client: Client) -> None:
    response = client.post(
        "/rules/quote/",
        _form(
            **{
                "line-0-hs_code": "0901.21",
                "line-0-quantity": "3",
                "line-0-price": "150000",
                "line-0-price_currency": "RWF",
                "line-0-weight": "5",
            }
        ),
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert re.search(r'data-testid="regime-id">standard<', html)
    assert re.search(r'data-testid="programme">eu-eba<', html)
    # Goods 267.46 EUR; Belgian VAT on coffee 6% (reduced rate, foodstuffs): 16.0476 -> 16.05.
    assert "Landed cost: 283.51 EUR" in html
    widths = re.findall(r'class="seg-(\w+)" style="width:([\d.]+)%"', html)
    assert widths == [("goods", "94.34"), ("taxes", "5.66")]
    assert "statement_on_origin" in html


def test_the_calculator_shows_errors_next_to_the_fields(client: Client) -> None:
    response = client.post(
        "/rules/quote/",
        _form(
            **{
                "line-0-hs_code": "0101",
                "line-0-quantity": "x",
                "line-0-price": "1",
                "line-0-price_currency": "RWF",
            }
        ),
    )
    html = response.content.decode()
    assert "The request has 2 invalid or missing fields." in html
    row = html[html.index('data-testid="line-0"') :]
    assert "must be 6 to 10 digits" in row
    assert "must be a whole number from 1 to 100000" in row
    unknown = client.post(
        "/rules/quote/",
        _form(
            **{
                "line-0-hs_code": "999998",
                "line-0-quantity": "1",
                "line-0-price": "1",
                "line-0-price_currency": "EUR",
            }
        ),
    ).content.decode()
    assert "9999.98 is not an HS 2022 subheading" in unknown


def test_the_calculator_adds_and_removes_lines(client: Client) -> None:
    added = client.post(
        "/rules/quote/", _form(**{"line-0-hs_code": "0901.21", "action": "add_line"})
    ).content.decode()
    assert 'name="line-1-hs_code"' in added
    assert 'value="0901.21"' in added
    removed = client.post(
        "/rules/quote/",
        _form(
            **{"line-0-hs_code": "0901.21", "line-1-hs_code": "0409.00", "action": "remove_line:0"}
        ),
    ).content.decode()
    assert 'value="0409.00"' in removed and 'value="0901.21"' not in removed
    assert 'name="line-1-hs_code"' not in removed


def test_steward_pages_are_for_stewards(client: Client, seller: Any) -> None:
    assert client.get("/rules/steward/").status_code == 302
    client.force_login(seller)
    assert client.get("/rules/steward/").status_code == 403
    assert client.get("/rules/steward/tariff_lines/").status_code == 403
    assert client.post("/rules/steward/", {"note": "x"}).status_code == 403
    assert RuleVersion.objects.count() == 1


def test_a_steward_edits_a_tariff_line_in_percent_and_a_second_steward_publishes(
    client: Client, steward: Any, second_steward: Any
) -> None:
    client.force_login(steward)
    assert client.get("/rules/steward/").status_code == 200
    listing = client.get("/rules/steward/tariff_lines/", {"q": "090121"}).content.decode()
    line = TariffLine.objects.get(territory="EU", code="090121")
    assert f"/rules/steward/tariff_lines/{line.pk}/" in listing
    assert "<small>7.5%</small>" in listing and "MFN ad valorem rate (%)" in listing
    form = client.get(f"/rules/steward/tariff_lines/{line.pk}/").content.decode()
    assert 'name="mfn_ad_valorem" value="7.5"' in form
    data = {**line.to_row(), "valid_to": "", "mfn_ad_valorem": "7.5x"}
    bad = client.post(f"/rules/steward/tariff_lines/{line.pk}/", data)
    assert bad.status_code == 200
    assert "Enter a percentage such as 6 or 5.5." in bad.content.decode()
    data["mfn_ad_valorem"] = "8"
    saved = client.post(f"/rules/steward/tariff_lines/{line.pk}/", data)
    assert saved.status_code == 302
    assert TariffLine.objects.get(pk=line.pk).mfn_ad_valorem == "0.08"
    pending = client.get("/rules/steward/").content.decode()
    assert (
        "Duty on coffee, roasted, not decaffeinated (HS 090121) into European Union customs territory"
        in pending
    )
    assert "<del>7.5%</del>" in pending and "<ins>8%</ins>" in pending
    asked = client.post("/rules/steward/", {"note": "EU roasted coffee 8%"})
    request = PublicationRequest.objects.get()
    assert asked["Location"] == f"/rules/steward/publication/{request.pk}/"
    assert RuleVersion.objects.count() == 1  # asked, not published
    own = client.get(asked["Location"]).content.decode()
    assert "a second steward of your organisation approves it" in own
    assert 'data-testid="approve-form"' not in own
    refused = client.post(asked["Location"], {"action": "approve"}, follow=True)
    assert "a second steward must approve it" in refused.content.decode()
    assert RuleVersion.objects.count() == 1

    client.force_login(second_steward)
    page = client.get(asked["Location"]).content.decode()
    assert 'data-testid="approve-form"' in page
    assert "<del>7.5%</del>" in page and "<ins>8%</ins>" in page
    published = client.post(asked["Location"], {"action": "approve"})
    version = RuleVersion.objects.order_by("-id").first()
    assert version is not None and version.note == "EU roasted coffee 8%"
    assert version.created_by == steward
    assert published["Location"] == f"/rules/versions/{version.label}/"
    history = client.get(published["Location"]).content.decode()
    assert (
        "Duty on coffee, roasted, not decaffeinated (HS 090121) into European Union customs territory"
        in history
    )
    assert "<del>7.5%</del>" in history and "<ins>8%</ins>" in history
    assert "mfn_ad_valorem" not in history


def test_a_rate_outside_its_bounds_is_refused_on_the_page(client: Client, steward: Any) -> None:
    client.force_login(steward)
    tax = Tax.objects.get(country="BE", kind="vat", hs_prefix="*")
    data = {**tax.to_row(), "valid_to": "", "rate": "210"}
    refused = client.post(f"/rules/steward/taxes/{tax.pk}/", data)
    assert refused.status_code == 200
    assert "A tax rate must be between 0% and 50%; 210% is outside." in refused.content.decode()
    assert Tax.objects.get(pk=tax.pk).rate == "0.21"
    data["rate"] = "5,5"
    assert client.post(f"/rules/steward/taxes/{tax.pk}/", data).status_code == 302
    assert Tax.objects.get(pk=tax.pk).rate == "0.055"


def test_a_steward_adds_and_deletes_a_tax(client: Client, steward: Any) -> None:
    client.force_login(steward)
    response = client.post(
        "/rules/steward/taxes/add/",
        {
            "country": "RW",
            "kind": "vat",
            "hs_prefix": "0901",
            "rate": "0",
            "valid_from": "2027-01-01",
            "valid_to": "",
            "source": "S37",
            "confidence": "low",
        },
    )
    assert response.status_code == 302
    tax = Tax.objects.get(country="RW", hs_prefix="0901")
    assert tax.position == 312
    assert client.get(f"/rules/steward/taxes/{tax.pk}/delete/").status_code == 200
    assert client.post(f"/rules/steward/taxes/{tax.pk}/delete/").status_code == 302
    assert not Tax.objects.filter(pk=tax.pk).exists()
    assert [a.action for a in AuditLog.objects.filter(action__startswith="traderules.row")] == [
        "traderules.row.deleted",
        "traderules.row.created",
    ]
    nothing = client.post("/rules/steward/", {"note": "nothing"}).content.decode()
    assert "nothing to publish" in nothing.lower()


def test_the_operator_enters_a_rate(client: Client, operator: Any, steward: Any) -> None:
    client.force_login(steward)
    assert client.get("/rules/fx/enter/").status_code == 403
    client.force_login(operator)
    assert client.get("/rules/fx/enter/").status_code == 200
    bad = client.post(
        "/rules/fx/enter/",
        {"date": "2026-11-25", "currency": "EUR", "units_per_eur": "1", "source": "x"},
    )
    assert "An ISO 4217 currency code other than EUR." in bad.content.decode()
    response = client.post(
        "/rules/fx/enter/",
        {
            "date": "2026-11-25",
            "currency": "RWF",
            "units_per_eur": "1715.00",
            "source": "BNR reference rate",
        },
    )
    assert response.status_code == 302
    rate = ExchangeRate.objects.get(origin="operator")
    assert (rate.currency, rate.rate_text, rate.entered_by) == ("RWF", "1715.00", operator)
    assert "1715.00" in client.get("/rules/fx/", {"currency": "RWF"}).content.decode()


def test_the_admin_shows_rule_rows_and_versions_read_only(client: Client, steward: Any) -> None:
    steward.is_staff = True
    steward.save()
    client.force_login(steward)
    line = TariffLine.objects.get(territory="EU", code="090121")
    before = line.to_row()
    change = f"/admin/traderules/tariffline/{line.pk}/change/"
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="mfn_ad_valorem"' not in page.content.decode()  # shown, not a field
    refused = client.post(change, {**before, "valid_to": "", "mfn_ad_valorem": "0.09"})
    assert refused.status_code == 403
    assert client.get("/admin/traderules/tariffline/add/").status_code == 403
    deleted = client.post(f"/admin/traderules/tariffline/{line.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert TariffLine.objects.get(pk=line.pk).to_row() == before
    version = RuleVersion.objects.get()
    version_change = f"/admin/traderules/ruleversion/{version.pk}/change/"
    assert client.post(version_change, {"label": "x", "note": "x"}).status_code == 403
    assert (
        client.post(
            f"/admin/traderules/ruleversion/{version.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert RuleVersion.objects.get().label == version.label
    assert not AuditLog.objects.filter(actor=steward).exists()


def test_the_calculator_offers_the_national_codes_of_a_split_subheading(client: Client) -> None:
    # US green tea 0902.10 is split into 0902.10.10 (flavored, 6.4%) and 0902.10.90 (not
    # flavored, free): the 6-digit code cannot be priced, the calculator offers both.
    fields = {
        "destination": "US",
        "currency": "USD",
        "date": "2025-11-15",
        "line-0-quantity": "1",
        "line-0-price": "100.00",
        "line-0-price_currency": "USD",
        "line-0-weight": "1",
    }
    html = client.post(
        "/rules/quote/", _form(**fields, **{"line-0-hs_code": "0902.10"}), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-testid="line-0-national"' in html
    assert re.findall(r'data-testid="national-candidate">(\d+)<', html) == ["09021010", "09021090"]
    assert "in immediate packings not over 3 kg, flavored" in html and "6.4%" in html
    assert "code=09021010" in html and 'hx-target="#line-0-code"' in html
    picked = client.get("/rules/quote/hs/pick/", {"line": "0", "code": "09021010"})
    assert 'name="line-0-hs_code" value="0902.1010"' in picked.content.decode()
    # Quoted with the national code: 6.4% x 100.00 = 6.40, no candidates left.
    html = client.post(
        "/rules/quote/", _form(**fields, **{"line-0-hs_code": "0902.10.10"}), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-testid="line-0-national"' not in html
    assert "<strong>6.40</strong> at 6.4%" in html


def test_the_row_form_writes_dates_in_iso_in_every_language(client: Client, steward: Any) -> None:
    client.force_login(steward)
    client.cookies["ewtp_language"] = "fr"
    tax = Tax.objects.get(country="BE", kind="vat", hs_prefix="09")
    form = client.get(f"/rules/steward/taxes/{tax.pk}/").content.decode()
    assert f'name="valid_from" value="{tax.valid_from.isoformat()}"' in form
    assert 'name="rate" value="6"' in form
