from django.contrib import admin

from ewtp.logistics.models import (
    Carrier,
    Hub,
    HubCoverage,
    Lane,
    LocalRate,
    Parcel,
    RateCard,
    Shipment,
)


class CoverageInline(admin.TabularInline[HubCoverage, Hub]):
    model = HubCoverage
    extra = 0


class LocalRateInline(admin.TabularInline[LocalRate, Hub]):
    model = LocalRate
    extra = 0


@admin.register(Hub)
class HubAdmin(admin.ModelAdmin[Hub]):
    list_display = ("code", "name", "country", "time_zone", "operator", "is_active")
    inlines = [CoverageInline, LocalRateInline]


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin[Carrier]):
    list_display = ("code", "name", "awb_prefix")


class RateCardInline(admin.TabularInline[RateCard, Lane]):
    model = RateCard
    extra = 0


@admin.register(Lane)
class LaneAdmin(admin.ModelAdmin[Lane]):
    list_display = ("__str__", "transit_days", "is_active")
    inlines = [RateCardInline]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin[Shipment]):
    list_display = ("awb", "lane", "status", "created_at", "dispatched_at", "arrived_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Shipment._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # consolidation goes through the hub pages (services)


@admin.register(Parcel)
class ParcelAdmin(admin.ModelAdmin[Parcel]):
    list_display = ("code", "seller", "origin_hub", "destination_hub", "status", "created_at")
    list_filter = ("status", "destination_hub")
    search_fields = ("code",)
    readonly_fields = [f.name for f in Parcel._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
