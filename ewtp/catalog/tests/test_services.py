from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from PIL import Image

from ewtp.catalog.errors import ImportRejected, OutOfStock
from ewtp.catalog.models import Photo, Product, StockLevel, StockReservation, Variant
from ewtp.catalog.selectors.listing import localise
from ewtp.catalog.services.imports import products_import_csv
from ewtp.catalog.services.photos import photo_add
from ewtp.catalog.services.products import (
    ProductData,
    product_create,
    product_publish,
    product_unpublish,
    product_update,
)
from ewtp.catalog.services.stock import (
    stock_hold,
    stock_holds_commit,
    stock_holds_commit_many,
    stock_holds_release,
    stock_return,
    stock_set,
)
from ewtp.catalog.services.variants import (
    variant_activate,
    variant_create,
    variant_deactivate,
    variant_update,
)
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
    return ProductData(**values)


def test_a_member_creates_a_product_with_variant_stock_and_audit(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = product_create(actor=owner, seller=seller, data=data(), publish=True)
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
        ("hs_code", "0902.10.10.001"),  # 11 digits
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
        product_create(actor=owner, seller=seller, data=data(**{field: value}))
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
        product_create(actor=stranger, seller=huye, data=data())
    with pytest.raises(PermissionDenied):
        product_create(actor=viewer, seller=huye, data=data())
    product = make_product(huye)
    with pytest.raises(NotFound):
        product_update(actor=stranger, product=product, data=data(title="Mine now"))
    with pytest.raises(NotFound):
        product_unpublish(actor=stranger, product=product)
    product.refresh_from_db()
    assert product.title == "Roasted coffee beans, 500 g" and product.is_published


def test_publish_and_unpublish(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = make_product(seller, publish=False)
    assert product.published_at is None
    product_publish(actor=owner, product=product)
    assert product.is_published and product.published_at is not None
    product_unpublish(actor=owner, product=product)
    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT


def test_hold_release_commit_and_return_keep_the_counts(reference_data):
    product = make_product(make_seller(), stock=10)
    variant = variant_of(product)
    expires = clock.now() + timedelta(minutes=30)
    stock_hold(variant=variant, quantity=4, reference="order-a", expires_at=expires)
    stock_hold(variant=variant, quantity=6, reference="order-b", expires_at=expires)
    level = StockLevel.objects.get(variant=variant)
    assert (level.on_hand, level.reserved) == (10, 10)
    with pytest.raises(OutOfStock) as caught:
        stock_hold(variant=variant, quantity=1, reference="order-c", expires_at=expires)
    body = caught.value.as_dict()
    assert body["code"] == "out_of_stock" and caught.value.http_status == 409
    assert body["remaining"] == 0 and body["product"] == product.title
    assert body["product_id"] == str(product.public_id)
    assert stock_holds_release(reference="order-a") == 4
    assert stock_holds_release(reference="order-a") == 0  # idempotent
    assert stock_holds_commit(reference="order-b") == 6
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (4, 0)
    assert stock_return(reference="order-b") == 6
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (10, 0)
    assert list(StockReservation.objects.order_by("id").values_list("state", flat=True)) == [
        "released",
        "released",
    ]


def test_a_checkout_s_holds_are_committed_in_two_statements_and_a_replay_moves_nothing(
    reference_data, django_assert_num_queries
):
    coffee = variant_of(make_product(make_seller("huye-coffee"), stock=10))
    tea = variant_of(make_product(make_seller("nyungwe-tea"), "Nyungwe tea", stock=5))
    expires = clock.now() + timedelta(minutes=30)
    stock_hold(variant=coffee, quantity=3, reference="order-a", expires_at=expires)
    stock_hold(variant=coffee, quantity=2, reference="order-a", expires_at=expires)
    stock_hold(variant=tea, quantity=5, reference="order-b", expires_at=expires)
    stock_hold(variant=coffee, quantity=1, reference="order-c", expires_at=expires)  # not paid
    with django_assert_num_queries(2):  # the reservations, then their stock levels
        assert stock_holds_commit_many(references=["order-a", "order-b"]) == 10
    levels = {level.variant_id: level for level in StockLevel.objects.all()}
    assert (levels[coffee.pk].on_hand, levels[coffee.pk].reserved) == (5, 1)
    assert (levels[tea.pk].on_hand, levels[tea.pk].reserved) == (0, 0)
    states = dict(StockReservation.objects.values_list("reference", "state").distinct())
    assert states == {"order-a": "committed", "order-b": "committed", "order-c": "held"}
    with django_assert_num_queries(1):  # a replayed webhook: nothing held is left to move
        assert stock_holds_commit_many(references=["order-a", "order-b"]) == 0
    again = {
        level.variant_id: (level.on_hand, level.reserved) for level in StockLevel.objects.all()
    }
    assert again == {coffee.pk: (5, 1), tea.pk: (0, 0)}
    assert stock_holds_commit_many(references=[]) == 0


def test_stock_cannot_be_set_below_what_is_held(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    variant = variant_of(make_product(seller, stock=10))
    stock_hold(variant=variant, quantity=7, reference="o", expires_at=clock.now())
    with pytest.raises(Conflict) as caught:
        stock_set(actor=owner, variant=variant, on_hand=5)
    assert caught.value.code == "stock_held"
    assert stock_set(actor=owner, variant=variant, on_hand=7).on_hand == 7


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
    photo = photo_add(actor=owner, product=product, content=_png(), alt_text="Beans")
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
        photo_add(actor=owner, product=product, content=b"not an image")
    assert Photo.objects.count() == 1


GOOD_CSV = """title,description,category,hs_code,origin,unit_weight_kg,price,currency,stock,sku,certifications,title_fr
Huye coffee 500 g,Washed arabica,,0901.21,RW,0.5,12000,RWF,40,HC-1,organic;fair_trade,Café de Huye
Nyungwe black tea,,,0902.40,RW,0.25,5000,RWF,10,NT-1,,
"""


def test_csv_import_creates_every_row(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    products = products_import_csv(actor=owner, seller=seller, content=GOOD_CSV.encode())
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
        products_import_csv(actor=owner, seller=seller, content=bad.encode())
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
        products_import_csv(actor=owner, seller=seller, content=b"title,price\nCoffee,100\n")
    assert caught.value.extra["errors"][0]["column"] == "hs_code,origin,unit_weight_kg,currency"


# Variants ------------------------------------------------------------------------------------


def _variant_audit(action: str) -> list[dict]:  # type: ignore[type-arg]
    return list(
        AuditLog.objects.filter(action=action).order_by("pk").values_list("data", flat=True)
    )


def test_a_seller_adds_a_variant_with_its_own_price_weight_stock_and_audit(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = make_product(seller, price="12000", sku="HUYE-500")
    stamp = product.updated_at
    variant = variant_create(
        actor=owner,
        product=product,
        sku=" HUYE-250 ",
        name="250 g bag",
        price="6500",
        unit_weight_kg="0.25",
        stock=7,
    )
    variant.refresh_from_db()
    assert (variant.sku, variant.name, variant.price_minor, variant.currency) == (
        "HUYE-250",
        "250 g bag",
        6500,
        "RWF",
    )
    assert (variant.unit_weight_kg, variant.position, variant.is_active) == (
        Decimal("0.250"),
        1,
        True,
    )
    assert list(StockLevel.objects.filter(variant=variant).values_list("hub_code", "on_hand")) == [
        ("KGL", 7)
    ]
    product.refresh_from_db()
    assert product.updated_at > stamp  # a new stamp for the landed-price cache
    [entry] = AuditLog.objects.filter(action="catalog.variant.created")
    assert (entry.actor, entry.target_id, entry.organisation_ref) == (
        owner,
        str(product.public_id),
        str(seller.public_id),
    )
    assert entry.data == {
        "variant": str(variant.public_id),
        "sku": "HUYE-250",
        "name": "250 g bag",
        "price_minor": 6500,
        "currency": "RWF",
        "unit_weight_kg": "0.250",
        "stock": 7,
        "hub": "KGL",
    }


def test_a_variant_without_a_weight_weighs_what_the_product_weighs(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = make_product(seller, weight="0.5")
    variant = variant_create(
        actor=owner, product=product, sku="B", name="", price="100", unit_weight_kg=""
    )
    assert variant.unit_weight_kg is None
    assert variant.weight_kg == Decimal("0.500")


def test_prices_take_the_decimals_of_the_products_currency(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = make_product(seller, price="9.90", currency="EUR")
    variant = variant_create(actor=owner, product=product, sku="EU-1", name="1 kg", price="24.5")
    assert (variant.price_minor, variant.currency) == (2450, "EUR")
    for price, message in [
        ("24.505", "A price in EUR with at most 2 decimals, e.g. 12.50."),
        ("24,50", "Use a point for decimals, e.g. 12.50."),
        ("-1", "A price of 0 or more."),
        ("1e30", "This price is too large."),
    ]:
        with pytest.raises(InvalidRequest) as caught:
            variant_create(actor=owner, product=product, sku=f"EU-{price}", name="", price=price)
        assert caught.value.fields == {"price": message}
    # A thousands separator is still read as one.
    assert (
        variant_create(
            actor=owner, product=product, sku="EU-2", name="", price="1,250.00"
        ).price_minor
        == 125000
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"sku": "  "}, "sku", "A SKU is required."),
        ({"sku": "HUYE-500"}, "sku", "This product has a variant with this SKU already."),
        ({"sku": "X" * 65}, "sku", "At most 64 characters."),
        ({"name": "n" * 101}, "name", "At most 100 characters."),
        ({"price": "6500.5"}, "price", "A price in RWF without decimals, e.g. 12000."),
        ({"price": "cheap"}, "price", "A price in RWF without decimals, e.g. 12000."),
        ({"price": "-1"}, "price", "A price of 0 or more."),
        (
            {"unit_weight_kg": "0"},
            "unit_weight_kg",
            "A weight in kg above 0 and at most 100000, e.g. 0.5.",
        ),
        (
            {"unit_weight_kg": "250000"},
            "unit_weight_kg",
            "A weight in kg above 0 and at most 100000, e.g. 0.5.",
        ),
        ({"unit_weight_kg": "0.2505"}, "unit_weight_kg", "At most three decimals (grams)."),
        ({"unit_weight_kg": "heavy"}, "unit_weight_kg", "A weight in kg, e.g. 0.5."),
        (
            {"currency": "EUR"},
            "currency",
            "This product is priced in RWF; its variants are priced in it too.",
        ),
        ({"stock": -1}, "stock", "A whole number of units, 0 or more."),
        ({"hub_code": "XYZ"}, "hub_code", "Not a hub of the platform."),
    ],
)
def test_a_bad_variant_field_is_named_and_nothing_is_written(
    reference_data, changes, field, message
):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = make_product(seller, sku="HUYE-500")
    values = {"sku": "HUYE-250", "name": "250 g", "price": "6500", "unit_weight_kg": "0.25"}
    values.update(changes)
    with pytest.raises(InvalidRequest) as caught:
        variant_create(actor=owner, product=product, **values)
    assert caught.value.fields == {field: message}
    assert list(product.variants.values_list("sku", flat=True)) == ["HUYE-500"]
    assert StockLevel.objects.count() == 1
    assert not AuditLog.objects.filter(action__startswith="catalog.variant.").exists()


def test_only_the_sellers_editors_may_change_variants(reference_data):
    huye = make_seller("huye-coffee")
    tea = make_seller("nyungwe-tea")
    stranger = make_member(tea, "owner@tea.rw")
    viewer = make_member(huye, "viewer@huye.rw", "viewer")
    staff = make_member(huye, "staff@huye.rw", "staff")
    product = make_product(huye, sku="HUYE-500")
    first = variant_of(product)
    second = variant_create(
        actor=staff, product=product, sku="HUYE-250", name="250 g", price="6500"
    )
    for actor, error in [(stranger, NotFound), (viewer, PermissionDenied)]:
        with pytest.raises(error):
            variant_create(actor=actor, product=product, sku="MINE", name="", price="1")
        with pytest.raises(error):
            variant_update(
                actor=actor, variant=first, sku="MINE", name="", price="1", unit_weight_kg=""
            )
        with pytest.raises(error):
            variant_deactivate(actor=actor, variant=second)
        with pytest.raises(error):
            variant_activate(actor=actor, variant=second)
    assert sorted(product.variants.values_list("sku", "price_minor", "is_active")) == [
        ("HUYE-250", 6500, True),
        ("HUYE-500", 12000, True),
    ]
    assert AuditLog.objects.filter(action__startswith="catalog.variant.").count() == 1


def test_a_variant_is_updated_and_the_change_audited(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = make_product(seller, sku="HUYE-500")
    variant = variant_create(
        actor=owner, product=product, sku="HUYE-250", name="250 g", price="6500"
    )
    updated = variant_update(
        actor=owner,
        variant=variant,
        sku="HUYE-250B",
        name="250 g bag",
        price="6800",
        unit_weight_kg="0.27",
    )
    updated.refresh_from_db()
    assert (updated.sku, updated.name, updated.price_minor, updated.unit_weight_kg) == (
        "HUYE-250B",
        "250 g bag",
        6800,
        Decimal("0.270"),
    )
    assert _variant_audit("catalog.variant.updated") == [
        {
            "variant": str(variant.public_id),
            "sku": "HUYE-250B",
            "changes": {
                "sku": ["HUYE-250", "HUYE-250B"],
                "name": ["250 g", "250 g bag"],
                "price_minor": [6500, 6800],
                "unit_weight_kg": [None, "0.270"],
            },
        }
    ]
    # The same values again: nothing to record.
    variant_update(
        actor=owner,
        variant=updated,
        sku="HUYE-250B",
        name="250 g bag",
        price="6800",
        unit_weight_kg="0.270",
    )
    assert AuditLog.objects.filter(action="catalog.variant.updated").count() == 1
    with pytest.raises(InvalidRequest) as caught:
        variant_update(
            actor=owner, variant=updated, sku="HUYE-500", name="", price="1", unit_weight_kg=""
        )
    assert caught.value.fields == {"sku": "This product has a variant with this SKU already."}
    updated.refresh_from_db()
    assert (updated.sku, updated.price_minor) == ("HUYE-250B", 6800)


def test_the_last_variant_on_sale_cannot_be_taken_off(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = make_product(seller, sku="HUYE-500")
    only = variant_of(product)
    with pytest.raises(Conflict) as caught:
        variant_deactivate(actor=owner, variant=only)
    assert caught.value.code == "last_active_variant"
    assert caught.value.message == (
        "A product keeps at least one variant on sale; add or reactivate another first, "
        "or unpublish the product."
    )
    only.refresh_from_db()
    assert only.is_active
    assert not AuditLog.objects.filter(action="catalog.variant.deactivated").exists()

    second = variant_create(
        actor=owner, product=product, sku="HUYE-250", name="250 g", price="6500"
    )
    variant_deactivate(actor=owner, variant=only)
    variant_deactivate(actor=owner, variant=only)  # again: nothing more happens
    with pytest.raises(Conflict):
        variant_deactivate(actor=owner, variant=second)
    assert list(product.variants.order_by("pk").values_list("sku", "is_active")) == [
        ("HUYE-500", False),
        ("HUYE-250", True),
    ]
    assert _variant_audit("catalog.variant.deactivated") == [
        {"variant": str(only.public_id), "sku": "HUYE-500", "held": 0}
    ]
    variant_activate(actor=owner, variant=only)
    only.refresh_from_db()
    assert only.is_active
    assert _variant_audit("catalog.variant.activated") == [
        {"variant": str(only.public_id), "sku": "HUYE-500"}
    ]


def test_a_variant_with_units_held_goes_off_sale_and_the_holds_stay(reference_data):
    from ewtp.orders.services.carts import cart_create, cart_line_add

    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = make_product(seller, sku="HUYE-500", stock=10)
    big = variant_of(product)
    small = variant_create(
        actor=owner, product=product, sku="HUYE-250", name="250 g", price="6500", stock=5
    )
    stock_hold(
        variant=big, quantity=3, reference="order-1", expires_at=clock.now() + timedelta(hours=1)
    )
    variant_deactivate(actor=owner, variant=big)
    assert _variant_audit("catalog.variant.deactivated") == [
        {"variant": str(big.public_id), "sku": "HUYE-500", "held": 3}
    ]
    level = StockLevel.objects.get(variant=big)
    assert (level.on_hand, level.reserved) == (10, 3)
    assert StockReservation.objects.get(reference="order-1").state == "held"
    # No longer sellable: the product page and carts see the other variant only.
    from ewtp.catalog.selectors.products import product_get_for

    assert [v.sku for v in product_get_for(None, product.slug).variants.all()] == ["HUYE-250"]
    cart = cart_create()
    with pytest.raises(InvalidRequest) as caught:
        cart_line_add(cart=cart, product_id=product.public_id, quantity=1, variant_id=big.public_id)
    assert caught.value.fields == {"variant_id": "unknown"}
    cart_line_add(cart=cart, product_id=product.public_id, quantity=1)
    assert [line.variant_id for line in cart.lines.all()] == [small.pk]


def test_the_product_form_keeps_one_currency_for_several_variants(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = make_product(seller, sku="HUYE-500")
    variant_create(actor=owner, product=product, sku="HUYE-250", name="250 g", price="6500")
    with pytest.raises(InvalidRequest) as caught:
        product_update(actor=owner, product=product, data=data(price="10", currency="EUR"))
    assert caught.value.fields == {
        "currency": "This product has several variants priced in RWF; they keep that currency."
    }
    with pytest.raises(InvalidRequest) as caught:
        product_update(actor=owner, product=product, data=data(sku="HUYE-250"))
    assert caught.value.fields == {"sku": "This product has a variant with this SKU already."}
    assert sorted(product.variants.values_list("sku", "price_minor", "currency")) == [
        ("HUYE-250", 6500, "RWF"),
        ("HUYE-500", 12000, "RWF"),
    ]


def test_the_product_form_edits_the_first_variant_on_sale(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = make_product(seller, sku="HUYE-500")
    first = variant_of(product)
    second = variant_create(
        actor=owner, product=product, sku="HUYE-250", name="250 g", price="6500"
    )
    variant_deactivate(actor=owner, variant=first)
    product_update(actor=owner, product=product, data=data(price="7000"))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.price_minor, second.price_minor) == (12000, 7000)


def test_stock_is_set_per_variant_and_hub(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = make_product(seller, stock=10)
    second = variant_create(
        actor=owner, product=product, sku="HUYE-250", name="250 g", price="6500", stock=2
    )
    level = stock_set(actor=owner, variant=second, on_hand=40, hub_code="kgl")
    assert (level.variant_id, level.hub_code, level.on_hand) == (second.pk, "KGL", 40)
    assert StockLevel.objects.get(variant=variant_of(product)).on_hand == 10
    with pytest.raises(InvalidRequest) as caught:
        stock_set(actor=owner, variant=second, on_hand=1, hub_code="NBO")
    assert caught.value.fields == {"hub_code": "Not a hub of the platform."}
    assert StockLevel.objects.filter(variant=second).count() == 1


def test_a_seller_prices_every_product_in_one_currency(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    make_product(seller, "Huye coffee 500 g", price="12000", currency="RWF")
    with pytest.raises(InvalidRequest) as caught:
        product_create(
            actor=owner,
            seller=seller,
            data=ProductData(
                title="Huye coffee 1 kg",
                hs_code="0901.21",
                origin="RW",
                unit_weight_kg="1",
                price="15.00",
                currency="USD",
            ),
        )
    assert caught.value.fields == {
        "currency": "Your products are priced in RWF: price this one in RWF too."
    }
    mixed = GOOD_CSV.replace("RWF", "USD", 1)  # the first row in dollars, the second in francs
    with pytest.raises(ImportRejected) as rejected:
        products_import_csv(actor=owner, seller=seller, content=mixed.encode())
    assert {(e["row"], e["column"]) for e in rejected.value.extra["errors"]} == {(2, "currency")}
    assert Product.objects.count() == 1


def test_rows_of_a_first_import_share_the_first_rows_currency(reference_data):
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    mixed = GOOD_CSV.replace("RWF", "USD", 1)
    with pytest.raises(ImportRejected) as rejected:
        products_import_csv(actor=owner, seller=seller, content=mixed.encode())
    assert [(e["row"], e["column"], e["message"]) for e in rejected.value.extra["errors"]] == [
        (3, "currency", "Price every row in USD, as the first one.")
    ]


@pytest.mark.parametrize("code", ["0902.10", "0902.10.1", "0902.10.10", "0902.10.10.00"])
def test_an_hs_code_of_6_to_10_digits_is_kept(reference_data, code):  # type: ignore[no-untyped-def]
    seller = make_seller()
    owner = make_member(seller, "owner@huye.rw")
    product = product_create(actor=owner, seller=seller, data=data(hs_code=code))
    assert product.hs_code == code.replace(".", "")
