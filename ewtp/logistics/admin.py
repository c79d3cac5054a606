"""Admin of logistics: hubs, carriers, lanes and their rates are configuration.

Parcels and shipments are read-only: every step goes through the logistics services (state
checks, tracking events, the order's own transitions, audit)."""

from django.contrib import admin

from ewtp.core.admin import WrittenByServices
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
class ShipmentAdmin(WrittenByServices, admin.ModelAdmin[Shipment]):
    list_display = ("awb", "lane", "status", "created_at", "dispatched_at", "arrived_at")
    list_filter = ("status",)


@admin.register(Parcel)
class ParcelAdmin(WrittenByServices, admin.ModelAdmin[Parcel]):
    list_display = ("code", "seller", "origin_hub", "destination_hub", "status", "created_at")
    list_filter = ("status", "destination_hub")
    search_fields = ("code",)
