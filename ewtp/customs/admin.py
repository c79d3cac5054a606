"""Admin of customs: jurisdictions, SDR rates and restricted goods are reference data.

Read-only: declarations (submitted and decided through the customs services, which keep the
parcel's clearance in step) and traders' customs numbers (checked by trader_profile_set)."""

from django.contrib import admin

from ewtp.core.admin import WrittenByServices
from ewtp.customs.models import (
    Declaration,
    Jurisdiction,
    RestrictedGoods,
    SdrRate,
    TraderProfile,
)


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin[Jurisdiction]):
    list_display = ("country", "kind", "authority", "office_code", "office_name")
    list_filter = ("kind", "authority")


@admin.register(TraderProfile)
class TraderProfileAdmin(WrittenByServices, admin.ModelAdmin[TraderProfile]):
    list_display = ("organisation", "tin", "eori", "ioss_number")


@admin.register(SdrRate)
class SdrRateAdmin(admin.ModelAdmin[SdrRate]):
    list_display = ("currency", "units_per_sdr", "valid_on", "source")
    list_filter = ("currency",)


@admin.register(RestrictedGoods)
class RestrictedGoodsAdmin(admin.ModelAdmin[RestrictedGoods]):
    list_display = ("hs_prefix", "applies_to", "countries", "reason", "valid_from", "valid_to")


@admin.register(Declaration)
class DeclarationAdmin(WrittenByServices, admin.ModelAdmin[Declaration]):
    list_display = ("reference", "kind", "dataset", "authority", "status", "submitted_at")
    list_filter = ("status", "kind", "dataset", "authority")
    search_fields = ("reference",)
