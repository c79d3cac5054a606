"""A price of 0 is refused unless the seller confirms the item is given away free: on the
product form, through the service, and in a CSV import."""

from __future__ import annotations

from typing import Any

import pytest

from ewtp.catalog.errors import ImportRejected
from ewtp.catalog.models import Product
from ewtp.catalog.services.imports import products_import_csv
from ewtp.catalog.services.products import ProductData, product_validate
from ewtp.catalog.services.variants import variant_create, variant_update
from ewtp.catalog.tests.factories import make_member, make_product, make_seller
from ewtp.core.errors import DomainError

pytestmark = pytest.mark.django_db

PRICE_ZERO = "A price of 0 gives the item away: confirm that it is free, or give a price."


def _data(**changes: Any) -> ProductData:
    fields: dict[str, Any] = {
        "title": "Sample sachet",
        "hs_code": "0901.21",
        "origin": "RW",
        "unit_weight_kg": "0.05",
        "price": "0",
        "currency": "RWF",
    }
    return ProductData(**(fields | changes))


def test_the_service_refuses_a_price_of_0_unless_the_item_is_free(reference_data: Any) -> None:
    _cleaned, errors = product_validate(_data())
    assert errors == {"price": PRICE_ZERO}
    cleaned, errors = product_validate(_data(free=True))
    assert errors == {}
    assert cleaned["price_minor"] == 0
    assert product_validate(_data(price="500"))[1] == {}


def test_the_form_asks_for_the_confirmation(client: Any, reference_data: Any) -> None:
    seller = make_seller("huye-coffee")
    client.force_login(make_member(seller, "owner@huye.rw"))
    form = {
        "title": "Sample sachet",
        "hs_code": "0901.21",
        "origin": "RW",
        "unit_weight_kg": "0.05",
        "price": "0",
        "currency": "RWF",
        "stock": "5",
        "language": "en",
    }
    refused = client.post("/shop/sell/huye-coffee/new/", form)
    assert refused.status_code == 200
    assert PRICE_ZERO in refused.text
    assert not Product.objects.exists()
    accepted = client.post("/shop/sell/huye-coffee/new/", {**form, "free": "on"})
    assert accepted.status_code == 302
    assert Product.objects.get().variants.get().price_minor == 0


def test_a_csv_import_needs_the_free_column_for_a_price_of_0(reference_data: Any) -> None:
    seller = make_seller("huye-coffee")
    owner = make_member(seller, "owner@huye.rw")
    header = b"title,hs_code,origin,unit_weight_kg,price,currency,free\n"
    with pytest.raises(ImportRejected) as refused:
        products_import_csv(
            actor=owner, seller=seller, content=header + b"Sachet,0901.21,RW,0.05,0,RWF,\n"
        )
    assert refused.value.extra["errors"] == [{"row": 2, "column": "price", "message": PRICE_ZERO}]
    assert not Product.objects.exists()
    (imported,) = products_import_csv(
        actor=owner, seller=seller, content=header + b"Sachet,0901.21,RW,0.05,0,RWF,yes\n"
    )
    assert imported.variants.get().price_minor == 0


def test_a_variant_at_a_price_of_0_needs_the_confirmation_too(reference_data: Any) -> None:
    seller = make_seller("huye-coffee")
    owner = make_member(seller, "owner@huye.rw")
    product = make_product(seller)
    with pytest.raises(DomainError) as refused:
        variant_create(actor=owner, product=product, sku="SAMPLE", name="Sample", price="0")
    assert refused.value.fields == {"price": PRICE_ZERO}
    sample = variant_create(
        actor=owner, product=product, sku="SAMPLE", name="Sample", price="0", free=True
    )
    assert sample.price_minor == 0
    paid = variant_create(actor=owner, product=product, sku="BIG", name="1 kg", price="20000")
    with pytest.raises(DomainError):
        variant_update(
            actor=owner, variant=paid, sku="BIG", name="1 kg", price="0", unit_weight_kg=""
        )
    paid.refresh_from_db()
    assert paid.price_minor == 20000
