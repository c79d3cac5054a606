"""Admin of orders: read-only. Carts, checkouts and orders change through their services
(limits, stock holds, transitions with their history and ledger postings)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ewtp.orders.models import Cart, CartLine, Checkout, Order, OrderEvent, OrderLine


class ReadOnly:
    """No add, change or delete: the row is written by a service."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderLineInline(ReadOnly, admin.TabularInline[OrderLine, Order]):
    model = OrderLine
    extra = 0
    readonly_fields = [f.name for f in OrderLine._meta.fields]


class OrderEventInline(ReadOnly, admin.TabularInline[OrderEvent, Order]):
    model = OrderEvent
    extra = 0
    readonly_fields = [f.name for f in OrderEvent._meta.fields]


@admin.register(Order)
class OrderAdmin(ReadOnly, admin.ModelAdmin[Order]):
    list_display = [
        "public_id",
        "seller",
        "status",
        "destination",
        "total_minor",
        "currency",
        "created_at",
    ]
    list_filter = ["status", "destination"]
    search_fields = ["public_id"]
    inlines = [OrderLineInline, OrderEventInline]


@admin.register(Checkout)
class CheckoutAdmin(ReadOnly, admin.ModelAdmin[Checkout]):
    list_display = [
        "public_id",
        "email",
        "destination",
        "total_minor",
        "currency",
        "payment_status",
        "created_at",
    ]
    list_filter = ["payment_status"]
    search_fields = ["email", "public_id"]
    exclude = ["access_token"]


class CartLineInline(ReadOnly, admin.TabularInline[CartLine, Cart]):
    model = CartLine
    extra = 0


@admin.register(Cart)
class CartAdmin(ReadOnly, admin.ModelAdmin[Cart]):
    list_display = ["public_id", "user", "created_at", "checked_out_at"]
    inlines = [CartLineInline]
