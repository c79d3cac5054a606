"""Forms of the catalog: shape only; services validate the rest (HS codes, prices, rights)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ewtp.catalog.models import Category, Product


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
        help_text=_("The HS 2022 subheading, e.g. 0901.21 for roasted coffee."),
    )
    origin = forms.CharField(label=_("Country of origin"), max_length=2, initial="RW")
    unit_weight_kg = forms.DecimalField(
        label=_("Weight of one unit (kg)"), max_digits=10, decimal_places=3, min_value=0
    )
    price = forms.CharField(label=_("Price of one unit"), max_length=20)
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

    def __init__(self, *args: Any, with_stock: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_stock:
            del self.fields["stock"]
        for code, name in settings.LANGUAGES:
            self.fields[f"title_{code}"] = forms.CharField(
                label=_("Title in %(language)s") % {"language": name},
                max_length=200,
                required=False,
            )
            self.fields[f"description_{code}"] = forms.CharField(
                label=_("Description in %(language)s") % {"language": name},
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
            )

    def translation_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"title_{code}"], self[f"description_{code}"])
            for code, _name in settings.LANGUAGES
        ]

    def main_fields(self) -> list[forms.BoundField]:
        return [field for field in self if not field.name.startswith(("title_", "description_"))]


class StockForm(forms.Form):
    on_hand = forms.IntegerField(label=_("Units on hand"), min_value=0)


class PhotoForm(forms.Form):
    photo = forms.ImageField(label=_("Photo"))
    alt_text = forms.CharField(label=_("What it shows"), max_length=200, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("UTF-8, comma-separated, with a header row.")
    )
    publish = forms.BooleanField(label=_("Publish the products at once"), required=False)
