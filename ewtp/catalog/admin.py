from django.contrib import admin

from ewtp.catalog.models import (
    Category,
    Photo,
    Product,
    ProductTranslation,
    StockLevel,
    StockReservation,
    Variant,
)


class TranslationInline(admin.TabularInline[ProductTranslation, Product]):
    model = ProductTranslation
    extra = 0


class VariantInline(admin.TabularInline[Variant, Product]):
    model = Variant
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    list_display = ["title", "seller", "hs_code", "origin", "status", "published_at"]
    list_filter = ["status", "category"]
    search_fields = ["title", "slug", "hs_code"]
    readonly_fields = ["public_id", "search_title", "search_body"]
    exclude = ["search_vector"]
    inlines = [TranslationInline, VariantInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["name", "slug", "position"]


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin[StockLevel]):
    list_display = ["variant", "hub_code", "on_hand", "reserved"]
    readonly_fields = ["reserved"]


@admin.register(StockReservation)
class StockReservationAdmin(admin.ModelAdmin[StockReservation]):
    list_display = ["reference", "stock_level", "quantity", "state", "expires_at"]
    list_filter = ["state"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin[Photo]):
    list_display = ["public_id", "product", "width", "height"]
