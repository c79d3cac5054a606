"""Search ranking and filters; runs on SQLite (FTS5) and, with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ewtp.catalog.search import terms_of
from ewtp.catalog.selectors import Filters, product_page
from ewtp.catalog.tests.factories import make_category, make_member, make_product, make_seller

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
    from ewtp.catalog import services
    from ewtp.catalog.models import Product

    huye, _ = shelf
    owner = make_member(huye, "owner@huye.rw")
    product = Product.objects.get(title="Green coffee, 1 kg")
    services.product_translation_set(actor=owner, product=product, language="fr", title="Café vert")
    from django.core.cache import cache

    cache.clear()
    assert titles(Filters(q="vert")) == ["Green coffee, 1 kg"]


def test_terms_split_scripts():
    assert terms_of("Roasted  COFFEE 咖啡豆 x'; DROP") == (
        ["roasted", "coffee", "x", "drop"],
        ["咖啡豆"],
    )
