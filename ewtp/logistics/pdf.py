"""Printed papers of logistics: the parcel label (PDF with a QR code of the parcel code and a
readable address block)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import segno
from django.utils import translation

from ewtp.core import clock
from ewtp.core.countries import country_name
from ewtp.core.pdf import pdf_from_template
from ewtp.logistics import rating
from ewtp.logistics.models import Parcel
from ewtp.orders.addresses import address_lines


def qr_data_uri(text: str, *, scale: int = 4) -> str:
    """A QR code (error correction M) as an SVG data URI, for an <img> in a printed page."""
    uri: str = segno.make(text, error="m", micro=False).svg_data_uri(scale=scale, border=2)
    return uri


def label_context(parcel: Parcel) -> dict[str, Any]:
    ship_to = dict(parcel.ship_to or {})
    ship_to.setdefault("country", parcel.destination_country)
    lines = address_lines(ship_to)
    chargeable = rating.chargeable_weight_kg(Decimal(parcel.weight_kg), parcel.dimensions)
    return {
        "parcel": parcel,
        "qr": qr_data_uri(parcel.code),
        "to_lines": [
            country_name(line) if line == ship_to.get("country") else line for line in lines
        ],
        "from_lines": [parcel.seller.name, country_name(parcel.seller.country)],
        "chargeable_kg": chargeable,
        "hs_codes": sorted({str(item.get("hs_code", ""))[:6] for item in parcel.contents}),
        "items": sum(int(item.get("quantity", 0)) for item in parcel.contents),
        "printed_at": clock.now(),
        "order": parcel.order,
    }


def label_pdf(parcel: Parcel) -> bytes:
    """The parcel's label, 100 x 150 mm (the usual thermal label), in English: carriers and
    customs read it on the way."""
    with translation.override("en"):
        return pdf_from_template("logistics/documents/label.html", label_context(parcel))
