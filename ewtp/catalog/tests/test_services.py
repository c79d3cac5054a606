from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from ewtp.catalog import services
from ewtp.catalog.errors import ImportRejected, OutOfStock
from ewtp.catalog.models import Photo, Product, StockLevel, StockReservation, Variant
from ewtp.catalog.selectors import localise
from ewtp.catalog.tests.factories import make_member, make_product, make_seller, variant_of
from ewtp.core import clock
from ewtp.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from ewtp.core.models import AuditLog

pytestmark = pytest.mark.django_db


def data(**overrides):  # type: ignore[no-untyped-def]
    values = {
        "title": "Huye roasted coffee, 500 g",
        "hs_code": "0901.21",
        "origin": "RW",
        "unit_weight_kg": "0.55",
        "price": "12000",
        "currency": "RWF",
        "stock": 25,
        "translations": {"fr": {"title": "Café torréfié de Huye"}},
    }
    values.update(overrides)
    return services.ProductData(**values)


def test_a_member_creates_a_product_with_variant_stock_and_audit(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = services.product_create(actor=owner, seller=seller, data=data(), publish=True)
    variant = variant_of(product)
    assert product.hs_code == "090121"
    assert product.status == Product.Status.PUBLISHED
    assert (variant.price_minor, variant.currency) == (12000, "RWF")
    assert StockLevel.objects.get(variant=variant).on_hand == 25
    assert AuditLog.objects.filter(
        action="catalog.product.created", target_id=str(product.public_id)
    ).exists()
    assert localise(product, "fr")[0] == "Café torréfié de Huye"
    assert localise(product, "sw")[0] == "Huye roasted coffee, 500 g"  # falls back


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hs_code", "1299.99"),  # well formed, not in HS 2022
        ("hs_code", "09012"),
        ("origin", "XX"),
        ("unit_weight_kg", "0"),
        ("price", "12000.5"),  # RWF has no minor unit
        ("currency", "RWX"),
    ],
)
def test_a_bad_field_is_named_and_nothing_is_written(reference_data, field, value):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    with pytest.raises(InvalidRequest) as caught:
        services.product_create(actor=owner, seller=seller, data=data(**{field: value}))
    assert field in caught.value.fields or (
        field == "currency" and "currency" in caught.value.fields
    )
    assert Product.objects.count() == 0 and Variant.objects.count() == 0


def test_only_the_sellers_editors_may_write(reference_data):
    huye = make_seller("huye-coffee")
    tea = make_seller("nyungwe-tea")
    stranger = make_member(tea, "owner@tea.rw")
    viewer = make_member(huye, "viewer@huye.rw", "viewer")
    with pytest.raises(NotFound):
        services.product_create(actor=stranger, seller=huye, data=data())
    with pytest.raises(PermissionDenied):
        services.product_create(actor=viewer, seller=huye, data=data())
    product = make_product(huye)
    with pytest.raises(NotFound):
        services.product_update(actor=stranger, product=product, data=data(title="Mine now"))
    with pytest.raises(NotFound):
        services.product_unpublish(actor=stranger, product=product)
    product.refresh_from_db()
    assert product.title == "Roasted coffee beans, 500 g" and product.is_published


def test_publish_and_unpublish(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = make_product(seller, publish=False)
    assert product.published_at is None
    services.product_publish(actor=owner, product=product)
    assert product.is_published and product.published_at is not None
    services.product_unpublish(actor=owner, product=product)
    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT


def test_hold_release_commit_and_return_keep_the_counts(reference_data):
    product = make_product(make_seller(), stock=10)
    variant = variant_of(product)
    expires = clock.now() + timedelta(minutes=30)
    services.stock_hold(variant=variant, quantity=4, reference="order-a", expires_at=expires)
    services.stock_hold(variant=variant, quantity=6, reference="order-b", expires_at=expires)
    level = StockLevel.objects.get(variant=variant)
    assert (level.on_hand, level.reserved) == (10, 10)
    with pytest.raises(OutOfStock) as caught:
        services.stock_hold(variant=variant, quantity=1, reference="order-c", expires_at=expires)
    body = caught.value.as_dict()
    assert body["code"] == "out_of_stock" and caught.value.http_status == 409
    assert body["remaining"] == 0 and body["product"] == product.title
    assert body["product_id"] == str(product.public_id)
    assert services.stock_holds_release(reference="order-a") == 4
    assert services.stock_holds_release(reference="order-a") == 0  # idempotent
    assert services.stock_holds_commit(reference="order-b") == 6
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (4, 0)
    assert services.stock_return(reference="order-b") == 6
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (10, 0)
    assert list(StockReservation.objects.order_by("id").values_list("state", flat=True)) == [
        "released",
        "released",
    ]


def test_stock_cannot_be_set_below_what_is_held(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    variant = variant_of(make_product(seller, stock=10))
    services.stock_hold(variant=variant, quantity=7, reference="o", expires_at=clock.now())
    with pytest.raises(Conflict) as caught:
        services.stock_set(actor=owner, variant=variant, on_hand=5)
    assert caught.value.code == "stock_held"
    assert services.stock_set(actor=owner, variant=variant, on_hand=7).on_hand == 7


def _png(width: int = 1600, height: int = 900) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def test_photos_are_resized_and_served_with_caching_headers(
    reference_data, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = make_product(seller)
    photo = services.photo_add(actor=owner, product=product, content=_png(), alt_text="Beans")
    assert (photo.width, photo.height) == (1200, 675)
    with Image.open(photo.thumbnail.path) as thumb:
        assert thumb.size == (400, 225)
    response = client.get(f"/shop/photos/{photo.public_id}/thumb.jpg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    again = client.get(
        f"/shop/photos/{photo.public_id}/thumb.jpg", HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert again.status_code == 304
    with pytest.raises(InvalidRequest):
        services.photo_add(actor=owner, product=product, content=b"not an image")
    assert Photo.objects.count() == 1


GOOD_CSV = """title,description,category,hs_code,origin,unit_weight_kg,price,currency,stock,sku,certifications,title_fr
Huye coffee 500 g,Washed arabica,,0901.21,RW,0.5,12000,RWF,40,HC-1,organic;fair_trade,Café de Huye
Nyungwe black tea,,,0902.40,RW,0.25,5000,RWF,10,NT-1,,
"""


def test_csv_import_creates_every_row(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    products = services.products_import_csv(actor=owner, seller=seller, content=GOOD_CSV.encode())
    assert [p.title for p in products] == ["Huye coffee 500 g", "Nyungwe black tea"]
    first = variant_of(products[0])
    assert first.sku == "HC-1" and products[0].certifications == ["fair_trade", "organic"]
    assert localise(products[0], "fr")[0] == "Café de Huye"
    assert all(p.status == Product.Status.DRAFT for p in products)


def test_csv_import_with_one_bad_row_imports_nothing_and_lists_the_errors(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    bad = GOOD_CSV + "Basket,,,1299.99,RW,0,abc,RWF,x,HC-1,shiny,\n"
    with pytest.raises(ImportRejected) as caught:
        services.products_import_csv(actor=owner, seller=seller, content=bad.encode())
    errors = {(e["row"], e["column"]) for e in caught.value.extra["errors"]}
    assert errors == {
        (4, "hs_code"),
        (4, "unit_weight_kg"),
        (4, "price"),
        (4, "stock"),
        (4, "sku"),
        (4, "certifications"),
    }
    assert Product.objects.count() == 0 and StockLevel.objects.count() == 0


def test_csv_import_without_required_columns(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    with pytest.raises(ImportRejected) as caught:
        services.products_import_csv(
            actor=owner, seller=seller, content=b"title,price\nCoffee,100\n"
        )
    assert caught.value.extra["errors"][0]["column"] == "hs_code,origin,unit_weight_kg,currency"
