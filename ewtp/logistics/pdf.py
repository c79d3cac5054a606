"""Printed papers of logistics: the parcel label (PDF with a QR code of the parcel code and a
readable address block) and a shipment's manifest (every parcel under the air waybill, with
totals)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import segno
from django.utils import translation

from ewtp.core import clock
from ewtp.core.countries import country_name
from ewtp.core.money import Money
from ewtp.core.pdf import pdf_from_template
from ewtp.logistics import rating
from ewtp.logistics.models import Parcel, Shipment
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


def _declared_value(parcel: Parcel) -> Money:
    """What customs are told the goods are worth: the import declaration's value (the
    destination's customs currency), else the export one, else the goods of the order."""
    declarations = {d.kind: d for d in parcel.declarations.all()}
    for kind in ("import", "export"):
        if kind in declarations:
            return Money.from_minor(declarations[kind].value_minor, declarations[kind].currency)
    return Money.from_minor(parcel.order.goods_minor, parcel.order.currency)


def manifest_context(shipment: Shipment) -> dict[str, Any]:
    parcels = list(
        shipment.parcels.select_related("seller", "order", "destination_hub")
        .prefetch_related("declarations")
        .order_by("code")
    )
    rows = []
    values: dict[str, Decimal] = defaultdict(Decimal)
    weight = Decimal(0)
    for parcel in parcels:
        value = _declared_value(parcel)
        values[value.currency] += value.amount
        weight += Decimal(parcel.weight_kg)
        rows.append(
            {
                "parcel": parcel,
                "destination": country_name(parcel.destination_country, "en"),
                "value": value,
            }
        )
    return {
        "shipment": shipment,
        "lane": shipment.lane,
        "rows": rows,
        "count": len(rows),
        "total_weight_kg": f"{weight:.3f}",
        "total_values": [Money.of(amount, currency) for currency, amount in sorted(values.items())],
        "printed_at": clock.now(),
    }


def manifest_pdf(shipment: Shipment) -> bytes:
    """The shipment's manifest (A4), in English like the label: the carrier and both customs
    read it."""
    with translation.override("en"):
        return pdf_from_template("logistics/documents/manifest.html", manifest_context(shipment))
