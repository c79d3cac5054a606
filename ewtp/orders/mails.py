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
    from ewtp.orders.selectors import order_lines_prefetch

    orders = list(
        checkout.orders.select_related("seller")
        .prefetch_related(order_lines_prefetch(checkout.language or "en"))
        .order_by("id")
    )
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
                "on_delivery": Money.from_minor(order.on_delivery_minor, order.currency).format(
                    locale
                ),
                "reasons": _reasons(order, locale),
            }
            for order in orders
        ],
        "total": Money.from_minor(checkout.total_minor, checkout.currency).format(locale),
        "link": checkout_link(checkout),
        "address": address_lines(checkout.shipping_address),
    }
    _send(kind, checkout.email, checkout.language, context)


def _reasons(order: Order, language: str) -> list[str]:
    from ewtp.orders.pricing import unknown_reasons

    with translation.override(language):
        return [str(reason) for reason in unknown_reasons(order.quote, language)]


def track_link(code: str) -> str:
    return f"{site_url()}{reverse('logistics:track', args=[code])}"


def send_order_mail(order: Order, kind: str) -> None:
    from ewtp.orders.selectors import parcel_of

    checkout = order.checkout
    parcel = parcel_of(order)
    context = {
        "parcel": parcel,
        "track": track_link(parcel.code) if parcel is not None else "",
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


def send_seller_paid_mail(order: Order) -> None:
    """To the seller's owners and staff: a paid order to prepare, each in their language."""
    from ewtp.accounts.models import Membership

    recipients = dict(
        Membership.objects.filter(
            organisation=order.seller,
            role__in=[Membership.Role.OWNER, Membership.Role.STAFF],
            user__is_active=True,
        ).values_list("user__email", "user__language")
    )
    path = reverse("orders:order_detail", args=[order.public_id])
    links = {
        "link": f"{site_url()}{path}",
        "orders_link": f"{site_url()}{reverse('orders:seller_orders', args=[order.seller.slug])}",
    }
    for email in sorted(recipients):
        language = recipients[email] or "en"
        context = {
            "order": order,
            "total": Money.from_minor(order.total_minor, order.currency).format(language),
            **links,
        }
        with translation.override(language):
            subject = render_to_string("orders/mail/seller_paid_subject.txt", context).strip()
            body = render_to_string("orders/mail/seller_paid.txt", context)
        send_mail(" ".join(subject.split()), body, None, [email])
