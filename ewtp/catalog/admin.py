"""Admin of the catalog: read-only for the models whose writes have rules.

Products, their texts, variants, photos and stock change through the catalog's services
(validation, reindexing, the price cache's stamp, the audit trail, stock holds), so the admin
shows them and changes nothing. Categories have no rule beyond their fields: editable.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ewtp.catalog.models import (
    Category,
    Photo,
    Product,
    ProductTranslation,
    StockLevel,
    StockReservation,
    Variant,
)


class ReadOnly:
    """No add, change or delete: the row is written by a service."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TranslationInline(ReadOnly, admin.TabularInline[ProductTranslation, Product]):
    model = ProductTranslation
    extra = 0


class VariantInline(ReadOnly, admin.TabularInline[Variant, Product]):
    model = Variant
    extra = 0


@admin.register(Product)
class ProductAdmin(ReadOnly, admin.ModelAdmin[Product]):
    list_display = ["title", "seller", "hs_code", "origin", "status", "published_at"]
    list_filter = ["status", "category"]
    search_fields = ["title", "slug", "hs_code"]
    exclude = ["search_vector"]
    inlines = [TranslationInline, VariantInline]


@admin.register(Variant)
class VariantAdmin(ReadOnly, admin.ModelAdmin[Variant]):
    list_display = ["sku", "product", "name", "price_minor", "currency", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["sku", "product__title"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["name", "slug", "position"]


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnly, admin.ModelAdmin[StockLevel]):
    list_display = ["variant", "hub_code", "on_hand", "reserved"]


@admin.register(StockReservation)
class StockReservationAdmin(ReadOnly, admin.ModelAdmin[StockReservation]):
    list_display = ["reference", "stock_level", "quantity", "state", "expires_at"]
    list_filter = ["state"]


@admin.register(Photo)
class PhotoAdmin(ReadOnly, admin.ModelAdmin[Photo]):
    list_display = ["public_id", "product", "width", "height"]
