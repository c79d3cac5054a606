from django.contrib import admin

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
class TraderProfileAdmin(admin.ModelAdmin[TraderProfile]):
    list_display = ("organisation", "tin", "eori", "ioss_number")


@admin.register(SdrRate)
class SdrRateAdmin(admin.ModelAdmin[SdrRate]):
    list_display = ("currency", "units_per_sdr", "valid_on", "source")
    list_filter = ("currency",)


@admin.register(RestrictedGoods)
class RestrictedGoodsAdmin(admin.ModelAdmin[RestrictedGoods]):
    list_display = ("hs_prefix", "applies_to", "countries", "reason", "valid_from", "valid_to")


@admin.register(Declaration)
class DeclarationAdmin(admin.ModelAdmin[Declaration]):
    list_display = ("reference", "kind", "dataset", "authority", "status", "submitted_at")
    list_filter = ("status", "kind", "dataset", "authority")
    search_fields = ("reference",)
    readonly_fields = [f.name for f in Declaration._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # declarations are submitted and decided through the services

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
