"""Admin of trade rules: everything is read-only here. Stewards edit the working copy and
publish on their pages (/rules/steward/, through the services: validated, audited, the snapshot
refreshed); rates are entered on the operator's page or imported with `ewtp fx import`."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from ewtp.traderules.models import (
    AdditionalDuty,
    DocumentRequirement,
    ExchangeRate,
    Fee,
    HsCode,
    HsSection,
    LowValueRegime,
    Preference,
    RuleVersion,
    Source,
    TariffLine,
    Tax,
    Territory,
)
from ewtp.traderules.selectors.permissions import can_steward


class _ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class RuleRowAdmin(_ReadOnly):
    """A working-copy table, shown to stewards; its writes have rules, kept by the services
    behind the steward's pages."""

    exclude: ClassVar[tuple[str, ...]] = ("position", "extra")
    list_per_page = 50

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_steward(request.user) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_steward(request.user) or super().has_module_permission(request)


@admin.register(Territory)
class TerritoryAdmin(RuleRowAdmin):
    list_display = ["territory", "name", "customs_currency", "valuation_basis", "confidence"]
    search_fields = ["territory", "name", "members"]


@admin.register(TariffLine)
class TariffLineAdmin(RuleRowAdmin):
    list_display = [
        "territory",
        "code",
        "description",
        "mfn_ad_valorem",
        "mfn_specific_amount",
        "valid_from",
        "valid_to",
        "confidence",
    ]
    list_filter = ["territory", "confidence"]
    search_fields = ["code", "description"]


@admin.register(Preference)
class PreferenceAdmin(RuleRowAdmin):
    list_display = ["programme", "territory", "rate", "valid_from", "valid_to", "confidence"]
    list_filter = ["territory"]


@admin.register(AdditionalDuty)
class AdditionalDutyAdmin(RuleRowAdmin):
    list_display = ["measure", "territory", "ad_valorem", "valid_from", "valid_to"]


@admin.register(Tax)
class TaxAdmin(RuleRowAdmin):
    list_display = ["country", "kind", "hs_prefix", "rate", "valid_from", "valid_to", "confidence"]
    list_filter = ["kind", "country"]
    search_fields = ["country", "hs_prefix"]


@admin.register(Fee)
class FeeAdmin(RuleRowAdmin):
    list_display = ["fee", "country", "ad_valorem", "in_tax_base", "valid_from", "valid_to"]


@admin.register(DocumentRequirement)
class DocumentRequirementAdmin(RuleRowAdmin):
    list_display = ["territory", "hs_prefix", "document", "when"]


@admin.register(LowValueRegime)
class LowValueRegimeAdmin(RuleRowAdmin):
    list_display = ["territory", "regime_id", "name", "valid_from", "valid_to"]
    list_filter = ["territory"]


@admin.register(Source)
class SourceAdmin(RuleRowAdmin):
    list_display = ["code", "what"]
    search_fields = ["code", "what", "where"]
    exclude: ClassVar[tuple[str, ...]] = ("position",)


@admin.register(RuleVersion)
class RuleVersionAdmin(_ReadOnly):
    list_display = ["label", "created_at", "created_by", "note"]
    exclude = ["content"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(_ReadOnly):
    """Rates are entered on the operator's page or imported with `ewtp fx import`."""

    list_display = ["date", "currency", "rate_text", "origin", "source", "entered_by"]
    list_filter = ["origin", "currency"]
    date_hierarchy = "date"


@admin.register(HsSection)
class HsSectionAdmin(_ReadOnly):
    list_display = ["code", "name"]


@admin.register(HsCode)
class HsCodeAdmin(_ReadOnly):
    list_display = ["code", "level", "description", "section"]
    list_filter = ["level", "section"]
    search_fields = ["code", "description"]
