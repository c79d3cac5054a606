"""API of orders: carts, checkout and the order with its history (interfaces.md).

Mounted at /api/v1/, so the paths here are /carts, /carts/{id}/lines, /carts/{id}/checkout
and /orders/{id}.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from ninja import Router, Schema, Status

from ewtp.accounts.auth import api_user
from ewtp.core.http import absolute_links
from ewtp.core.ratelimit import rate_limit
from ewtp.orders import selectors
from ewtp.orders.services import carts as carts_services
from ewtp.orders.services.checkout import checkout_submit
from ewtp.orders.services.handover import checkout_id_number_set

router = Router(tags=["orders"])


class CartOut(Schema):
    id: str


class CartLineIn(Schema):
    product_id: str
    quantity: int = 1
    variant_id: str | None = None


class CheckoutIn(Schema):
    email: str
    destination: str
    currency: str
    shipping_address: dict[str, Any]
    incoterm: str = "DDP"
    gift: bool = False  # a gift between private persons (where a gift regime applies)


def _json(status: int, body: Any) -> HttpResponse:
    return JsonResponse(body, status=status, safe=False)


@router.post("/carts", response={201: CartOut}, summary="Open a cart (a guest's, or the caller's)")
def cart_create(request: HttpRequest) -> Status[dict[str, str]]:
    rate_limit(request, "orders.cart", per_minute=60)
    cart = carts_services.cart_create(user=api_user(request))
    return Status(201, {"id": str(cart.public_id)})


@router.get("/carts/{cart_id}", summary="The cart and its lines")
def cart_get(request: HttpRequest, cart_id: str) -> dict[str, Any]:
    cart = selectors.cart_get_for(api_user(request), cart_id)
    return selectors.cart_body(cart, translation.get_language() or "en")


@router.post("/carts/{cart_id}/lines", summary="Add units of a product to the cart")
def cart_line_add(request: HttpRequest, cart_id: str, payload: CartLineIn) -> dict[str, Any]:
    cart = carts_services.cart_line_add_for(
        actor=api_user(request),
        cart_id=cart_id,
        product_id=payload.product_id,
        quantity=payload.quantity,
        variant_id=payload.variant_id,
    )
    return selectors.cart_body(cart, translation.get_language() or "en")


@router.post(
    "/carts/{cart_id}/checkout",
    summary="Check out: one order per seller, quotes fixed, stock held (Idempotency-Key)",
    response={201: dict[str, Any], 409: dict[str, Any], 422: dict[str, Any]},
)
def checkout(request: HttpRequest, cart_id: str, payload: CheckoutIn) -> HttpResponse:
    rate_limit(request, "orders.checkout", per_minute=30)
    user = api_user(request)
    cart = selectors.cart_get_for(user, cart_id)
    status, body = checkout_submit(
        cart=cart,
        payload=payload.model_dump(),
        idempotency_key=request.headers.get("Idempotency-Key"),
        language=translation.get_language() or "en",
        user=user,
    )
    return _json(status, absolute_links(request, body))


@router.get("/orders/{order_id}", summary="An order with its status history")
def order_get(request: HttpRequest, order_id: str, token: str = "") -> dict[str, Any]:
    order, _ = selectors.order_get_for(
        api_user(request), order_id, token=token or request.headers.get("X-Order-Token")
    )
    return selectors.order_body(order)


class IdNumberIn(Schema):
    id_number: str


@router.post(
    "/orders/{order_id}/id-number",
    summary="The buyer's identity card number for the destination's customs (China)",
)
def order_id_number(
    request: HttpRequest, order_id: str, payload: IdNumberIn, token: str = ""
) -> dict[str, Any]:
    order, actor = selectors.order_get_for(
        api_user(request), order_id, token=token or request.headers.get("X-Order-Token")
    )
    checkout_id_number_set(actor=actor, checkout=order.checkout, id_number=payload.id_number)
    return selectors.order_body(order)
