"""Test set-up shared by the logistics and customs tests: the demo organisations and users,
the hub network, customs jurisdictions, products, and paid orders made through the orders
app's own checkout (quote fixed, stock held, payment marked)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ewtp.accounts.models import Organisation, User
from ewtp.catalog.models import Product
from ewtp.catalog.services.products import ProductData, product_create
from ewtp.customs import demo as customs_demo
from ewtp.customs import services as customs_services
from ewtp.logistics import demo as logistics_demo
from ewtp.logistics.models import Hub
from ewtp.orders.models import Order
from ewtp.orders.services.carts import cart_create, cart_line_add
from ewtp.orders.services.checkout import checkout_place
from ewtp.orders.services.handover import checkout_mark_paid
from ewtp.traderules.services.reference_data import reference_data_ensure
from ewtp.web.demo import load_base

ADDRESSES: dict[str, dict[str, str]] = {
    "BE": {
        "name": "Marie Peeters",
        "line1": "Rue de la Loi 16",
        "city": "Bruxelles",
        "postal_code": "1000",
        "phone": "+32 2 511 22 33",
    },
    "FR": {
        "name": "Luc Martin",
        "line1": "12 rue de Rivoli",
        "city": "Paris",
        "postal_code": "75001",
        "phone": "+33 1 42 60 30 30",
    },
    "CN": {
        "name": "王芳",
        "line1": "文三路 90号",
        "city": "杭州",
        "region": "浙江",
        "postal_code": "310000",
        "phone": "+86 138 0013 8000",
    },
    "US": {
        "name": "John Smith",
        "line1": "350 Fifth Avenue",
        "city": "New York",
        "region": "NY",
        "postal_code": "10118",
        "phone": "+1 212 736 3100",
    },
    "MY": {
        "name": "Siti Aminah",
        "line1": "Jalan Ampang 1",
        "city": "Kuala Lumpur",
        "region": "Wilayah Persekutuan",
        "postal_code": "50450",
        "phone": "+60 3-2161 1234",
    },
}
CURRENCIES = {"BE": "EUR", "FR": "EUR", "CN": "CNY", "US": "USD", "MY": "MYR"}
CN_ID_NUMBER = "11010519491231002X"  # the published specimen of a resident ID (valid check)


@dataclass
class World:
    seller: User  # owner of huye-coffee
    baskets_seller: User  # owner of gahaya-baskets
    kigali: User  # staff of the Kigali hub
    liege: User  # staff of the Liege hub
    officer_rw: User
    officer_be: User
    officer_cn: User
    buyer: User
    operator: User
    coffee_org: Organisation
    baskets_org: Organisation
    coffee: Product  # Huye roasted coffee 500 g, 0.55 kg, 12000 RWF, HS 0901.21
    basket: Product  # agaseke basket, 0.4 kg, 25000 RWF, HS 4602.19
    kgl: Hub
    lgg: Hub
    hgh: Hub


def user(email: str) -> User:
    return User.objects.get(email=email)


def product(
    actor: User,
    seller: Organisation,
    *,
    title: str,
    hs_code: str,
    weight: str,
    price: int,
    origin: str = "RW",
    sku: str = "",
) -> Product:
    return product_create(
        actor=actor,
        seller=seller,
        data=ProductData(
            title=title,
            hs_code=hs_code,
            origin=origin,
            unit_weight_kg=weight,
            price=price,
            currency="RWF",
            sku=sku,
            stock=500,
        ),
        publish=True,
    )


def world() -> World:
    reference_data_ensure()
    load_base(io.StringIO())
    logistics_demo.network_ensure()
    customs_services.reference_data_ensure()
    customs_demo.setup_ensure()
    seller = user("seller@demo.ewtp.rw")
    baskets_seller = user("baskets@demo.ewtp.rw")
    coffee_org = Organisation.objects.get(slug="huye-coffee")
    baskets_org = Organisation.objects.get(slug="gahaya-baskets")
    return World(
        seller=seller,
        baskets_seller=baskets_seller,
        kigali=user("hub@demo.ewtp.rw"),
        liege=user("liege@demo.ewtp.rw"),
        officer_rw=user("customs.rw@demo.ewtp.rw"),
        officer_be=user("customs.be@demo.ewtp.rw"),
        officer_cn=user("customs.cn@demo.ewtp.rw"),
        buyer=user("buyer@demo.ewtp.rw"),
        operator=user("operator@demo.ewtp.rw"),
        coffee_org=coffee_org,
        baskets_org=baskets_org,
        coffee=product(
            seller,
            coffee_org,
            title="Huye roasted coffee beans, 500 g",
            hs_code="0901.21",
            weight="0.55",
            price=12000,
            sku="HUYE-R500",
        ),
        basket=product(
            baskets_seller,
            baskets_org,
            title="Agaseke peace basket, medium",
            hs_code="4602.19",
            weight="0.4",
            price=25000,
            sku="GAH-AGS-M",
        ),
        kgl=Hub.objects.get(code="KGL"),
        lgg=Hub.objects.get(code="LGG"),
        hgh=Hub.objects.get(code="HGH"),
    )


def paid_order(
    items: list[tuple[Product, int]],
    *,
    destination: str = "BE",
    currency: str | None = None,
    address: dict[str, str] | None = None,
    buyer: User | None = None,
    email: str = "buyer@example.org",
) -> Order:
    """One seller's order, placed through the orders checkout and marked paid."""
    cart = cart_create(user=buyer)
    for item, quantity in items:
        cart_line_add(cart=cart, product_id=item.public_id, quantity=quantity)
    checkout = checkout_place(
        cart=cart,
        email=buyer.email if buyer else email,
        destination=destination,
        currency=currency or CURRENCIES.get(destination, "USD"),
        shipping_address=address or ADDRESSES[destination],
        user=buyer,
    )
    checkout_mark_paid(checkout=checkout, payment_reference=f"PAY-{checkout.pk}")
    return checkout.orders.get()


def packed(
    world: World, order: Order, *, weight: Any = "2.1", dims: tuple[int, int, int] = (30, 20, 15)
):
    from ewtp.logistics.services import parcels

    actor = world.seller if order.seller_id == world.coffee_org.pk else world.baskets_seller
    return parcels.parcel_create(
        actor=actor,
        order=order,
        weight_kg=weight,
        length_cm=dims[0],
        width_cm=dims[1],
        height_cm=dims[2],
    )


def expected_net(order: Order) -> Decimal:
    return sum((line.unit_weight_kg * line.quantity for line in order.lines.all()), Decimal(0))
