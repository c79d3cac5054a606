"""Carts, checkouts and the orders they create (one per seller), with their status history.

A checkout fixes one landed-cost quote per seller consignment and stores it whole on the
order; the order's total is what that quote says, whatever the rules or rates do later.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ewtp.accounts.models import Organisation
from ewtp.catalog.models import Variant


def _access_token() -> str:
    return secrets.token_urlsafe(24)


class Cart(models.Model):
    """A guest's (by its opaque id) or a signed-in user's basket over several sellers."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="carts",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    checked_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return f"cart {self.public_id}"

    @property
    def is_open(self) -> bool:
        return self.checked_out_at is None


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cart_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.variant_id}"


class Incoterm(models.TextChoices):
    DDP = "DDP", _("Delivered duty paid (duties and taxes paid now)")
    DAP = "DAP", _("Delivered at place (duties and taxes paid on delivery)")


class Checkout(models.Model):
    """One buyer's purchase over several sellers: the orders, and what is to be paid."""

    class PaymentStatus(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cart = models.ForeignKey(Cart, on_delete=models.PROTECT, related_name="checkouts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checkouts",
    )
    email = models.EmailField()
    language = models.CharField(max_length=10, default="en")  # mails are written in it
    destination = models.CharField(max_length=2)
    currency = models.CharField(max_length=3)
    incoterm = models.CharField(max_length=3, choices=Incoterm.choices, default=Incoterm.DDP)
    shipping_address = models.JSONField(default=dict)
    total_minor = models.BigIntegerField()  # payable at checkout, in ``currency``
    on_delivery_minor = models.BigIntegerField(default=0)  # DAP: payable on delivery
    payment_status = models.CharField(
        max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    payment_reference = models.CharField(max_length=100, blank=True)
    access_token = models.CharField(max_length=64, default=_access_token, editable=False)
    hold_expires_at = models.DateTimeField()
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    placed_mailed_at = models.DateTimeField(null=True, blank=True)
    paid_mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"checkout {self.public_id}"


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
        PAID = "paid", _("Paid")
        ACCEPTED = "accepted", _("Accepted")
        PACKED = "packed", _("Packed")
        HANDED_TO_HUB = "handed_to_hub", _("Handed to the hub")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        RETURNED = "returned", _("Returned to the seller")
        DISPUTED = "disputed", _("Disputed")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        REFUNDED = "refunded", _("Refunded")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    checkout = models.ForeignKey(Checkout, on_delete=models.PROTECT, related_name="orders")
    seller = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT, db_index=True
    )
    hub_code = models.CharField(max_length=8)
    destination = models.CharField(max_length=2)
    incoterm = models.CharField(max_length=3, choices=Incoterm.choices, default=Incoterm.DDP)
    currency = models.CharField(max_length=3)  # the buyer's currency, as charged
    total_minor = models.BigIntegerField()  # payable at checkout
    on_delivery_minor = models.BigIntegerField(default=0)
    goods_minor = models.BigIntegerField()  # in ``currency``, from the quote's display totals
    duty_minor = models.BigIntegerField()
    taxes_minor = models.BigIntegerField()
    fees_minor = models.BigIntegerField()
    shipping_minor = models.BigIntegerField(default=0)
    # The carriage charged: route, carrier, chargeable weight, price and rate source.
    carriage = models.JSONField(default=dict, blank=True)
    seller_currency = models.CharField(max_length=3)  # what the seller priced in (RWF)
    # The seller's category when the order was placed: its fee terms apply at release, even
    # if the category changes meanwhile ("" is the standard terms).
    seller_category = models.CharField(max_length=30, blank=True)
    seller_goods_minor = models.BigIntegerField()  # the goods at the seller's own prices
    quote = models.JSONField()  # the landed-cost response, whole, as fixed at checkout
    quote_id = models.CharField(max_length=100, blank=True)
    # The buyer declared the parcel a gift between private persons (the quote's request flag).
    is_gift = models.BooleanField(default=False)
    rules_version = models.CharField(max_length=100)
    fx_rates = models.JSONField(default=list)
    is_quote_complete = models.BooleanField(default=True)
    hold_expires_at = models.DateTimeField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    shipped_mailed_at = models.DateTimeField(null=True, blank=True)
    returned_mailed_at = models.DateTimeField(null=True, blank=True)
    seller_mailed_at = models.DateTimeField(null=True, blank=True)  # "paid order to prepare"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["seller", "-created_at"], name="order_seller_idx"),
            models.Index(fields=["status", "hold_expires_at"], name="order_hold_idx"),
        ]

    def __str__(self) -> str:
        return f"order {self.reference}"

    @property
    def reference(self) -> str:
        """A short form for people (the public id is the key)."""
        return str(self.public_id).split("-")[0].upper()


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="+")
    product_title = models.CharField(max_length=200)
    sku = models.CharField(max_length=64)
    hs_code = models.CharField(max_length=10)
    origin = models.CharField(max_length=2)
    unit_weight_kg = models.DecimalField(max_digits=10, decimal_places=3)
    quantity = models.PositiveIntegerField()
    unit_price_minor = models.BigIntegerField()  # the seller's price, in ``currency``
    currency = models.CharField(max_length=3)
    quote_line_id = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_title}"


class OrderEvent(models.Model):
    """One step of an order's status history. Append-only."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '-'} -> {self.to_status}"

    @property
    def to_label(self) -> str:
        return str(Order.Status(self.to_status).label)
