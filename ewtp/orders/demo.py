"""Demo orders: the demo buyer's checkout over two sellers, waiting for its payment.

Idempotent: nothing is added once the demo buyer has a checkout.
"""

from __future__ import annotations

from typing import TextIO

from ewtp.accounts.models import User
from ewtp.catalog.models import Product
from ewtp.core.errors import DomainError
from ewtp.orders.models import Checkout
from ewtp.orders.services.carts import cart_create, cart_line_add
from ewtp.orders.services.checkout import checkout_place

BUYER = "buyer@demo.ewtp.rw"
ADDRESS = {
    "name": "Wang Fang",
    "line1": "18 Wensan Road, Xihu District",
    "city": "Hangzhou",
    "region": "Zhejiang",
    "postal_code": "310013",
    "phone": "+86 138 0013 8000",
}
LINES = [("huye-coffee", "HUYE-R500", 2), ("nyungwe-tea", "NYU-BLK250", 1)]


def load(stdout: TextIO) -> None:
    buyer = User.objects.filter(email=BUYER).first()
    if Checkout.objects.filter(email=BUYER).exists():
        stdout.write("orders: demo checkout in place\n")
        return
    cart = cart_create(user=buyer)
    for seller, sku, quantity in LINES:
        product = Product.objects.filter(seller__slug=seller, variants__sku=sku).first()
        if product is None:
            stdout.write(f"orders: demo product {sku} missing; no demo checkout\n")
            return
        cart_line_add(cart=cart, product_id=str(product.public_id), quantity=quantity)
    try:
        checkout = checkout_place(
            cart=cart,
            email=BUYER,
            destination="CN",
            currency="CNY",
            shipping_address=ADDRESS,
            language="zh-hans",
            user=buyer,
        )
    except DomainError as error:
        stdout.write(f"orders: no demo checkout ({error.code}: {error.message})\n")
        return
    stdout.write(
        f"orders: demo checkout of {BUYER}, {checkout.orders.count()} orders, awaiting payment\n"
    )
