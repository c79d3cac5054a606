from django.contrib import admin

from ewtp.orders.models import Cart, Checkout, Order, OrderEvent, OrderLine


class OrderLineInline(admin.TabularInline[OrderLine, Order]):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in OrderLine._meta.fields]


class OrderEventInline(admin.TabularInline[OrderEvent, Order]):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in OrderEvent._meta.fields]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    """Read-only: orders change through their services (transitions with history)."""

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

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Checkout)
class CheckoutAdmin(admin.ModelAdmin[Checkout]):
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

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin[Cart]):
    list_display = ["public_id", "user", "created_at", "checked_out_at"]
