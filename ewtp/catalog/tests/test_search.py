"""Search ranking and filters; runs on SQLite (FTS5) and, with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache

from ewtp.catalog import search
from ewtp.catalog.search import terms_of
from ewtp.catalog.selectors.listing import Filters, product_page
from ewtp.catalog.tests.factories import (
    make_category,
    make_member,
    make_product,
    make_seller,
    variant_of,
)
from ewtp.core.money import Money

pytestmark = pytest.mark.django_db


def titles(filters: Filters, **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    page = product_page(
        filters, page=1, language=kwargs.get("language", "en"), destination="BE", currency="EUR"
    )
    return [card.title for card in page.items]


@pytest.fixture
def shelf(reference_data):  # type: ignore[no-untyped-def]
    huye = make_seller("huye-coffee", name="Huye Mountain Coffee")
    tea = make_seller("nyungwe-tea", name="Nyungwe Tea Estate")
    coffee = make_category("coffee", "Coffee")
    drinks = make_category("tea", "Tea")
    make_product(
        huye,
        "Roasted coffee beans",
        description="Bourbon arabica, medium roast",
        category=coffee,
        price="12000",
        translations={"zh-hans": "烘焙咖啡豆"},
    )
    make_product(
        tea,
        "Black tea leaves",
        hs_code="0902.40",
        description="Goes well after a coffee",
        category=drinks,
        price="5000",
    )
    make_product(huye, "Green coffee, 1 kg", hs_code="0901.11", category=coffee, price="30000")
    make_product(tea, "Woven tea basket", hs_code="4602.19", price="25000", origin="KE")
    make_product(huye, "Unpublished coffee", publish=False)
    return huye, tea


def test_title_matches_rank_above_description_matches(shelf):
    found = titles(Filters(q="coffee"))
    assert set(found[:2]) == {"Roasted coffee beans", "Green coffee, 1 kg"}
    assert found[2:] == ["Black tea leaves"]  # "coffee" in its description only
    assert "Unpublished coffee" not in found


def test_every_word_must_match_and_words_match_as_prefixes(shelf):
    assert titles(Filters(q="roast bean")) == ["Roasted coffee beans"]
    assert titles(Filters(q="coffee basket")) == []
    assert titles(Filters(q="arabica")) == ["Roasted coffee beans"]
    assert titles(Filters(q="Nyungwe")) == ["Black tea leaves", "Woven tea basket"] or set(
        titles(Filters(q="Nyungwe"))
    ) == {"Black tea leaves", "Woven tea basket"}  # the seller's name is searched too


def test_chinese_words_match_translated_titles(shelf):
    assert titles(Filters(q="咖啡"), language="zh-hans") == ["烘焙咖啡豆"]


def test_filters_category_origin_seller_and_price(shelf):
    assert set(titles(Filters(category="coffee"))) == {"Roasted coffee beans", "Green coffee, 1 kg"}
    assert titles(Filters(origin="KE")) == ["Woven tea basket"]
    assert set(titles(Filters(seller="nyungwe-tea"))) == {"Black tea leaves", "Woven tea basket"}
    assert titles(Filters(q="coffee", seller="nyungwe-tea")) == ["Black tea leaves"]
    assert titles(Filters(q="coffee", price_max=Decimal("10"))) == [
        "Roasted coffee beans",
        "Black tea leaves",
    ]
    # Item prices in EUR: 5000 RWF is a few euros, 25000 RWF over ten.
    cheap = titles(Filters(price_max=Decimal("5")))
    assert cheap == ["Black tea leaves"]
    dear = titles(Filters(price_min=Decimal("10")))
    assert set(dear) == {"Green coffee, 1 kg", "Woven tea basket"}


def test_search_follows_edits(shelf, reference_data):
    from ewtp.catalog.models import Product
    from ewtp.catalog.services.products import product_translation_set

    huye, _ = shelf
    owner = make_member(huye, "owner@huye.rw")
    product = Product.objects.get(title="Green coffee, 1 kg")
    product_translation_set(actor=owner, product=product, language="fr", title="Café vert")
    from django.core.cache import cache

    cache.clear()
    assert titles(Filters(q="vert")) == ["Green coffee, 1 kg"]


def test_a_query_without_words_lists_everything_newest_first(shelf):
    page = page_of(Filters(q="  !? "))
    assert [card.title for card in page.items] == [
        "Woven tea basket",
        "Green coffee, 1 kg",
        "Black tea leaves",
        "Roasted coffee beans",
    ]
    assert (page.total, page.total_is_exact) == (4, True)


def test_terms_split_scripts():
    assert terms_of("Roasted  COFFEE 咖啡豆 x'; DROP") == (
        ["roasted", "coffee", "x", "drop"],
        ["咖啡豆"],
    )


def page_of(filters: Filters, page: int = 1, page_size: int = 24):  # type: ignore[no-untyped-def]
    return product_page(
        filters, page=page, language="en", destination="BE", currency="EUR", page_size=page_size
    )


@pytest.fixture
def tea_shop(reference_data):  # type: ignore[no-untyped-def]
    """Six products with "coffee" in the description only, then one with it in the title
    (the seller's name, searched with the titles, has no "coffee")."""
    tea = make_seller("nyungwe-tea", name="Nyungwe Tea Estate")
    for letter in "ABCDEF":
        make_product(
            tea, f"Tea blend {letter}", hs_code="0902.40", description="Goes well after a coffee"
        )
    make_product(tea, "Coffee mug", hs_code="6912.00")
    return tea


def test_a_common_word_is_counted_up_to_the_cap_and_the_page_says_so(tea_shop, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 7)
    everything = page_of(Filters(q="coffee"))
    assert [card.title for card in everything.items] == [
        "Coffee mug",
        *(f"Tea blend {letter}" for letter in "FEDCBA"),
    ]
    assert (everything.total, everything.total_is_exact, everything.pages) == (7, True, 1)

    cache.clear()
    monkeypatch.setattr(search, "CANDIDATES", 1)
    capped = page_of(Filters(q="coffee"))
    # Title matches rank first and are looked for apart, so that they are never left out for
    # the matches in descriptions that come first in the table.
    assert [card.title for card in capped.items] == ["Coffee mug"]
    assert (capped.total, capped.total_is_exact, capped.pages) == (1, False, 1)
    past_the_cap = page_of(Filters(q="coffee"), page=2)
    assert (past_the_cap.items, past_the_cap.total, past_the_cap.total_is_exact) == (
        [],
        1,
        False,
    )


def test_pages_of_a_capped_search_end_at_the_cap(reference_data, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 4)
    seller = make_seller("huye-coffee", name="Huye Mountain Coffee")
    for number in range(5):
        make_product(seller, f"Coffee lot {number}", sku=f"LOT-{number}")
    pages = [page_of(Filters(q="coffee lot"), page=number, page_size=2) for number in (1, 2, 3)]
    assert [[card.title for card in page.items] for page in pages] == [
        ["Coffee lot 4", "Coffee lot 3"],
        ["Coffee lot 2", "Coffee lot 1"],
        [],
    ]
    assert {(page.total, page.total_is_exact, page.pages) for page in pages} == {(4, False, 2)}
    # Below the cap the count is exact again.
    assert (page_of(Filters(q="lot 3")).total, page_of(Filters(q="lot 3")).total_is_exact) == (
        1,
        True,
    )


def test_the_api_says_when_the_total_is_a_lower_bound(client, tea_shop, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 1)
    body = client.get(
        "/api/v1/catalog/products", {"destination": "BE", "currency": "EUR", "q": "coffee"}
    ).json()
    assert [item["title"] for item in body["items"]] == ["Coffee mug"]
    assert (body["page"], body["pages"], body["total"], body["total_is_exact"]) == (
        1,
        1,
        1,
        False,
    )
    listing = client.get("/api/v1/catalog/products", {"destination": "BE", "currency": "EUR"})
    assert (listing.json()["total"], listing.json()["total_is_exact"]) == (7, True)


def test_a_card_shows_the_first_active_variant_the_stock_of_all_and_the_category(
    reference_data,
):
    from ewtp.catalog import landed_prices
    from ewtp.catalog.services.variants import variant_create

    seller = make_seller("huye-coffee", name="Huye Mountain Coffee")
    owner = make_member(seller, "owner@huye.rw")
    beans = make_category("coffee", "Coffee", fr="Café")
    product = make_product(
        seller,
        "Roasted coffee beans",
        category=beans,
        price="12000",
        stock=10,
        certifications=["organic"],
        translations={"fr": "Café torréfié"},
    )
    variant_create(
        actor=owner, product=product, sku="BEANS-1KG", name="1 kg", price="22000", stock=5
    )
    (card,) = product_page(
        Filters(q="coffee"), page=1, language="fr", destination="BE", currency="EUR"
    ).items
    first = variant_of(product)
    assert (
        card.id,
        card.slug,
        card.title,
        card.seller_name,
        card.seller_slug,
        card.hs_code,
        card.origin,
        card.category,
        card.certifications,
        card.is_export_ready,
        card.price,
        card.available,
        card.thumbnail,
        card.item,
    ) == (
        str(product.public_id),
        product.slug,
        "Café torréfié",
        "Huye Mountain Coffee",
        "huye-coffee",
        "0901.21",
        "RW",
        "Café",
        ["organic"],
        False,
        Money.of("12000", "RWF"),
        15,
        "",
        landed_prices.PriceItem.of(first),
    )


def test_the_search_page_says_when_more_products_match_than_are_counted(
    client, tea_shop, monkeypatch
):
    monkeypatch.setattr(search, "CANDIDATES", 3)
    capped = client.get("/shop/search/", {"q": "coffee"}).content.decode()
    assert "More than 3 products: add a word or a filter to narrow them" in capped
    cache.clear()
    exact = client.get("/shop/search/", {"q": "mug"}).content.decode()
    assert "1 product ·" in exact and "More than" not in exact
