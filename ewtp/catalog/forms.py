"""Forms of the catalog: shape only; services validate the rest (HS codes, prices, rights)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.urls import reverse_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ewtp.catalog.models import DEFAULT_HUB, HUB_COUNTRIES, Category, Product, Variant
from ewtp.catalog.traderules_gateway import NationalCodeChoice
from ewtp.core.countries import country_name
from ewtp.core.translations import (
    DESCRIPTION,
    TITLE,
    LanguageSection,
    add_translation_fields,
    language_sections,
)

# The product texts a seller translates (the form's ``title_<language>`` fields and so on).
PRODUCT_TEXTS = (TITLE, DESCRIPTION)


class ProductForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False
    )
    hs_code = forms.CharField(
        label=_("HS code"),
        max_length=14,
        help_text=_(
            "The HS 2022 subheading, e.g. 0901.21 for roasted coffee, or a national code of up "
            "to 10 digits that starts with it (e.g. 0902.10.10) where a tariff splits it."
        ),
    )
    origin = forms.CharField(label=_("Country of origin"), max_length=2, initial="RW")
    unit_weight_kg = forms.DecimalField(
        label=_("Weight of one unit (kg)"), max_digits=10, decimal_places=3, min_value=0
    )
    price = forms.CharField(label=_("Price of one unit"), max_length=20)
    free = forms.BooleanField(
        label=_("Free item"),
        required=False,
        help_text=_("Tick to give the item away at a price of 0."),
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="RWF")
    sku = forms.CharField(label=_("SKU"), max_length=64, required=False)
    stock = forms.IntegerField(label=_("Units in stock at Kigali"), min_value=0, required=False)
    certifications = forms.MultipleChoiceField(
        label=_("Certifications"),
        choices=Product.Certification.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    language = forms.ChoiceField(
        label=_("Language of the texts above"), choices=settings.LANGUAGES, initial="en"
    )

    def __init__(
        self,
        *args: Any,
        with_stock: bool = True,
        national_options: Sequence[NationalCodeChoice] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if not with_stock:
            del self.fields["stock"]
        self.fields["hs_code"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("catalog:national_codes"),
                "hx-trigger": "change",
                "hx-target": "#national-codes",
                "hx-include": "#national-codes select",
                "hx-swap": "innerHTML",
            }
        )
        picked = dict(self.initial.get("national_codes") or {})
        for option in national_options:
            self.fields[f"{NATIONAL_PREFIX}{option.territory}"] = national_field(
                option, initial=picked.get(option.territory, "")
            )
        add_translation_fields(self, PRODUCT_TEXTS)

    def translation_sections(self) -> list[LanguageSection]:
        return language_sections(self, PRODUCT_TEXTS)

    def main_fields(self) -> list[forms.BoundField]:
        return [
            field
            for field in self
            if not field.name.startswith(("title_", "description_", NATIONAL_PREFIX))
        ]

    def national_fields(self) -> list[forms.BoundField]:
        return [field for field in self if field.name.startswith(NATIONAL_PREFIX)]

    def national_codes(self) -> dict[str, str]:
        """The national codes picked (cleaned data), by customs territory."""
        return {
            name.removeprefix(NATIONAL_PREFIX): str(value)
            for name, value in self.cleaned_data.items()
            if name.startswith(NATIONAL_PREFIX) and value
        }


NATIONAL_PREFIX = "national_"


def national_field(option: NationalCodeChoice, *, initial: str = "") -> forms.ChoiceField:
    """A choice of the national codes a territory splits the product's HS code into, each
    with its description and duty (the candidates the calculator offers)."""
    choices = [("", _("Not chosen: the price there stays an estimate"))] + [
        (
            str(item["code"]),
            f"{_dotted(str(item['code']))} · {item.get('description', '')} · {item.get('duty', '')}",
        )
        for item in option.candidates
    ]
    return forms.ChoiceField(
        label=_("National code for %(territory)s") % {"territory": _territory_name(option)},
        choices=choices,
        required=False,
        initial=initial,
        help_text=_("Its tariff splits this HS code into lines with different duties."),
    )


def _territory_name(option: NationalCodeChoice) -> str:
    """A one-country territory by its country's name in the reader's language."""
    if len(option.countries) == 1:
        return country_name(option.countries[0], get_language() or "en")
    return option.name


def _dotted(code: str) -> str:
    return f"{code[:4]}.{code[4:6]}.{code[6:]}" if len(code) > 6 else code


class StockForm(forms.Form):
    """Units on hand of one variant at one hub. The dashboard posts one row's variant in a
    hidden field; the product page lets the seller pick among the product's variants."""

    variant = forms.ChoiceField(label=_("Variant"), required=False)
    hub_code = forms.ChoiceField(
        label=_("Hub"),
        choices=[(code, code) for code in HUB_COUNTRIES],
        initial=DEFAULT_HUB,
        required=False,
    )
    on_hand = forms.IntegerField(label=_("Units on hand"), min_value=0)

    def __init__(self, *args: Any, variants: Iterable[Variant] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(v.public_id), variant_label(v)) for v in variants]
        self.fields["variant"].choices = choices  # type: ignore[attr-defined]
        if len(choices) == 1:
            self.fields["variant"].initial = choices[0][0]
            self.fields["variant"].widget = forms.HiddenInput()


def variant_label(variant: Variant) -> str:
    name = variant.name or variant.sku
    label = f"{name} ({variant.sku})" if variant.name else name
    return label if variant.is_active else f"{label} · {_('off sale')}"


class VariantForm(forms.Form):
    """A variant's SKU, name, price and weight; the stock of a new one at the main hub."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("What tells it apart, e.g. “250 g bag” or “1 kg bag”."),
    )
    sku = forms.CharField(label=_("SKU"), max_length=64)
    price = forms.CharField(label=_("Price of one unit"), max_length=24)
    free = forms.BooleanField(
        label=_("Free item"),
        required=False,
        help_text=_("Tick to give the item away at a price of 0."),
    )
    unit_weight_kg = forms.CharField(
        label=_("Weight of one unit (kg)"),
        max_length=16,
        required=False,
        help_text=_("Leave blank to use the product's weight."),
    )
    stock = forms.IntegerField(label=_("Units in stock at Kigali"), min_value=0, required=False)

    def __init__(self, *args: Any, currency: str, with_stock: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_stock:
            del self.fields["stock"]
        if currency:
            self.fields["price"].label = _("Price of one unit (%(currency)s)") % {
                "currency": currency
            }


class PhotoForm(forms.Form):
    photo = forms.ImageField(label=_("Photo"))
    alt_text = forms.CharField(label=_("What it shows"), max_length=200, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("UTF-8, comma-separated, with a header row.")
    )
    publish = forms.BooleanField(label=_("Publish the products at once"), required=False)
