"""Admin of trade rules: the working copy is edited through the services (validated, audited);
versions, HS codes and exchange rates are read-only here."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from ewtp.core.errors import DomainError
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
from ewtp.traderules.services.edits import (
    _row_problems_against_working_copy,
    rule_row_delete,
    rule_row_save,
)


class _ServiceForm(ModelForm):  # type: ignore[type-arg]
    """Runs the service's checks while the admin validates, so errors land on the form."""

    request: HttpRequest | None = None

    def _post_clean(self) -> None:  # Django's hook once the instance is built from the data
        super()._post_clean()  # type: ignore[misc]
        if self.errors or self.request is None:
            return
        fields = _row_problems_against_working_copy(self.instance)
        for name, message in fields.items():
            self.add_error(name if name in self.fields else None, message)


class RuleRowAdmin(admin.ModelAdmin[Any]):
    """A working-copy table; saves and deletes go through the audited services."""

    form = _ServiceForm
    exclude: ClassVar[tuple[str, ...]] = ("position", "extra")
    list_per_page = 50

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def _allowed(self, request: HttpRequest) -> bool:
        return can_steward(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request) or super().has_module_permission(request)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            rule_row_save(actor=request.user, row=obj)
        except DomainError as error:
            raise ValidationError(error.message) from error

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        rule_row_delete(actor=request.user, row=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for row in queryset:
            rule_row_delete(actor=request.user, row=row)


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


class _ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


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
