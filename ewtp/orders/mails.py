"""Mails to buyers (order placed, paid, shipped, returned), written in the buyer's language."""

from __future__ import annotations

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from ewtp.core import conf
from ewtp.core.money import Money
from ewtp.orders.addresses import address_lines
from ewtp.orders.models import Checkout, Order


def site_url() -> str:
    return conf.SITE_URL()


def checkout_link(checkout: Checkout) -> str:
    path = reverse("orders:checkout_done", args=[checkout.public_id])
    return f"{site_url()}{path}?token={checkout.access_token}"


def order_link(order: Order) -> str:
    path = reverse("orders:order_detail", args=[order.public_id])
    return f"{site_url()}{path}?token={order.checkout.access_token}"


def _send(template: str, to: str, language: str, context: dict[str, object]) -> None:
    with translation.override(language):
        subject = render_to_string(f"orders/mail/{template}_subject.txt", context).strip()
        body = render_to_string(f"orders/mail/{template}.txt", context)
    send_mail(" ".join(subject.split()), body, None, [to])


def send_checkout_mail(checkout: Checkout, kind: str) -> None:
    orders = list(checkout.orders.select_related("seller").prefetch_related("lines").order_by("id"))
    locale = checkout.language
    context = {
        "checkout": checkout,
        "orders": [
            {
                "order": order,
                "link": order_link(order),
                "total": Money.from_minor(order.total_minor, order.currency).format(locale),
                "duty": Money.from_minor(order.duty_minor, order.currency).format(locale),
                "taxes": Money.from_minor(order.taxes_minor, order.currency).format(locale),
            }
            for order in orders
        ],
        "total": Money.from_minor(checkout.total_minor, checkout.currency).format(locale),
        "link": checkout_link(checkout),
        "address": address_lines(checkout.shipping_address),
    }
    _send(kind, checkout.email, checkout.language, context)


def send_order_mail(order: Order, kind: str) -> None:
    checkout = order.checkout
    context = {
        "order": order,
        "checkout": checkout,
        "link": order_link(order),
        "address": address_lines(checkout.shipping_address),
        "note": _last_note(order, kind),
    }
    _send(f"order_{kind}", checkout.email, checkout.language, context)


def _last_note(order: Order, status: str) -> str:
    event = order.events.filter(to_status=status).order_by("-created_at", "-id").first()
    return event.note if event else ""
