"""Forms of orders: shape only; the checkout service checks addresses, phones and stock."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ewtp.core import conf
from ewtp.orders.models import Incoterm


class CheckoutForm(forms.Form):
    email = forms.CharField(label=_("Email address"), max_length=254)
    destination = forms.ChoiceField(label=_("Deliver to (country)"))
    currency = forms.ChoiceField(label=_("Pay in"))
    incoterm = forms.ChoiceField(
        label=_("Duties and taxes"),
        choices=Incoterm.choices,
        initial=Incoterm.DDP,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label=_("Name of the recipient"), max_length=120, required=False)
    line1 = forms.CharField(label=_("Street and number"), max_length=200, required=False)
    line2 = forms.CharField(label=_("Flat, building (optional)"), max_length=200, required=False)
    landmark = forms.CharField(
        label=_("Landmark (where there is no street address)"),
        max_length=300,
        required=False,
        help_text=_("For example: blue gate opposite Kimironko market."),
    )
    city = forms.CharField(label=_("City, town or district"), max_length=100, required=False)
    region = forms.CharField(label=_("State, province or region"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=40, required=False)
    id_number = forms.CharField(
        label=_("Resident identity card number (deliveries to China)"),
        max_length=18,
        required=False,
        help_text=_(
            "Chinese customs declares each cross-border purchase under the buyer's name and "
            "identity card number. You may also give it later, on your order page."
        ),
    )
    gift = forms.BooleanField(
        label=_("This is a gift between private persons"),
        required=False,
        help_text=_(
            "A present sent by one private person to another, not paid for by the recipient: "
            "the destination's customs may charge less on it."
        ),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=200)

    ADDRESS_FIELDS = (
        "name",
        "line1",
        "line2",
        "landmark",
        "city",
        "region",
        "postal_code",
        "phone",
        "id_number",
    )

    def __init__(self, *args: Any, gift_offered: bool = False, **kwargs: Any) -> None:
        """``gift_offered``: the destination has a regime for gifts; else no gift field."""
        super().__init__(*args, **kwargs)
        if not gift_offered:
            del self.fields["gift"]
        destination = self.fields["destination"]
        currency = self.fields["currency"]
        assert isinstance(destination, forms.ChoiceField) and isinstance(
            currency, forms.ChoiceField
        )
        destination.choices = [(c, c) for c in conf.DESTINATIONS()]
        currency.choices = [(c, c) for c in conf.CURRENCIES()]

    def payload(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "email": data["email"],
            "destination": data["destination"],
            "currency": data["currency"],
            "incoterm": data["incoterm"],
            "gift": bool(data.get("gift", False)),
            "shipping_address": {name: data.get(name, "") for name in self.ADDRESS_FIELDS},
        }
