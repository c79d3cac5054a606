"""A parcel's papers: the plain context every declaration and document is built from, the
declarations its route needs (built and checked, not yet submitted), the postal customs form
(CN 22 or CN 23), the origin statement where a preference was used, and the risk inputs.

Values come from the order as fixed at checkout: its lines (the seller's prices) and its
stored quote (customs values, duties and taxes per line, totals). A total split over lines
(goods value, gross weight) is an allocation that sums exactly to the stored total, never a
new price. Reads only; permission checks are the callers'.
"""

from __future__ import annotations

import uuid
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext

from ewtp.accounts.models import Organisation
from ewtp.core import clock
from ewtp.core.countries import country_name
from ewtp.core.errors import NotFound
from ewtp.core.money import Money, allocate
from ewtp.customs import datasets
from ewtp.customs.models import Declaration, Jurisdiction, RestrictedGoods, SdrRate, TraderProfile
from ewtp.customs.risk import Restriction, RiskLine, risk_flags
from ewtp.logistics.models import Parcel
from ewtp.orders.models import Order

CN22_LIMIT_SDR = Decimal("300")  # UPU: CN 22 up to 300 SDR of contents, CN 23 above
PLATFORM_NAME = "eWTP Rwanda Hub"


@dataclass(frozen=True)
class PostalForm:
    """CN 22 or CN 23 for the parcel's contents value, with the SDR rate used (if any)."""

    name: str  # "CN 22" or "CN 23"
    value: Money
    value_sdr: Decimal | None
    rate: SdrRate | None
    note: str = ""

    @property
    def slug(self) -> str:
        return self.name.replace(" ", "").lower()


@dataclass
class Draft:
    """A declaration as it would be submitted: its data set, authority and field errors."""

    kind: str
    dataset: str
    country: str
    authority: Organisation | None
    office: dict[str, str]
    data: dict[str, Any]
    errors: dict[str, str]
    value: Money

    @property
    def dataset_label(self) -> str:
        return str(Declaration.Dataset(self.dataset).label)

    @property
    def is_valid(self) -> bool:
        return not self.errors


@dataclass
class Papers:
    parcel: Parcel
    order: Order
    context: dict[str, Any]
    drafts: list[Draft] = field(default_factory=list)
    postal_form: PostalForm | None = None
    preferential: list[dict[str, Any]] = field(default_factory=list)
    origin_statement: str = ""
    invoice_lines: list[dict[str, Any]] = field(default_factory=list)

    def draft(self, kind: str) -> Draft:
        for draft in self.drafts:
            if draft.kind == kind:
                return draft
        if kind == Declaration.Kind.EXPORT:
            message = gettext("Parcel %(code)s needs no export declaration.")
        elif kind == Declaration.Kind.IMPORT:
            message = gettext("Parcel %(code)s needs no import declaration.")
        else:
            message = gettext("Parcel %(code)s needs no %(kind)s declaration.")
        raise NotFound("not_found", message % {"code": self.parcel.code, "kind": kind})


# Reference data -------------------------------------------------------------------------------


def sdr_rate_on(currency: str, day: date) -> SdrRate | None:
    """The latest SDR rate of the currency on or before the day."""
    return (
        SdrRate.objects.filter(currency=currency, valid_on__lte=day).order_by("-valid_on").first()
    )


def postal_form_for(value: Money, day: date) -> PostalForm:
    """CN 22 up to 300 SDR of contents, CN 23 above (and when no SDR rate is known: CN 23 is
    always acceptable in place of a CN 22)."""
    rate = sdr_rate_on(value.currency, day)
    if rate is None:
        return PostalForm(
            "CN 23", value, None, None, note=f"no SDR rate for {value.currency}: CN 23 used"
        )
    exact = value.amount / rate.units_per_sdr  # compared unrounded; shown to the hundredth
    shown = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return PostalForm("CN 23" if exact > CN22_LIMIT_SDR else "CN 22", value, shown, rate)


def jurisdiction_for(country: str, kind: str) -> Jurisdiction | None:
    return (
        Jurisdiction.objects.select_related("authority").filter(country=country, kind=kind).first()
    )


def restrictions_for(kind: str, country: str) -> list[Restriction]:
    rows = RestrictedGoods.objects.filter(applies_to__in=[kind, "both"]).filter(
        Q(countries="") | Q(countries__contains=country)
    )
    return [
        Restriction(row.hs_prefix, row.reason, row.valid_from, row.valid_to, row.source)
        for row in rows
        if not row.countries or country in row.countries.split()
    ]


def _profile(organisation: Organisation | None) -> TraderProfile | None:
    if organisation is None:
        return None
    return TraderProfile.objects.filter(organisation=organisation).first()


def platform_organisation() -> Organisation | None:
    return (
        Organisation.objects.filter(kind=Organisation.Kind.PLATFORM_OPERATOR).order_by("id").first()
    )


def _programmes() -> dict[str, dict[str, str]]:
    """Preference programmes of the rules in force, by id (their names and proof needed)."""
    from ewtp.traderules.selectors.snapshot import current_rules

    return {row["programme"]: row for row in current_rules().table("preferences")}


# The context ----------------------------------------------------------------------------------


def _decimal3(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def _split_weight(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split a weight over lines to the gram; the last line takes the remainder."""
    grams = int((total * 1000).to_integral_value(rounding=ROUND_HALF_UP))
    whole = sum(weights, Decimal(0))
    parts: list[Decimal] = []
    for weight in weights[:-1]:
        share = (Decimal(grams) * weight / whole) if whole else Decimal(grams) / len(weights)
        parts.append(share.to_integral_value(rounding=ROUND_HALF_UP))
    parts.append(Decimal(grams) - sum(parts, Decimal(0)))
    return [part / 1000 for part in parts]


def _stamp(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y%m%d%H%M%S")


def _lines(order: Order, parcel: Parcel, quote: dict[str, Any]) -> list[dict[str, Any]]:
    order_lines = list(order.lines.select_related("variant__product").order_by("id"))
    quote_lines = {str(q.get("id")): q for q in quote.get("lines") or []}
    customs_currency = str(quote.get("customs_currency") or order.currency)
    totals = (quote.get("totals") or {}).get("customs") or {}
    seller_values = [
        Money.from_minor(line.unit_price_minor * line.quantity, line.currency)
        for line in order_lines
    ]
    goods_total = Money.of(str(totals.get("goods") or "0"), customs_currency)
    goods_shares = (
        allocate(goods_total, [value.amount for value in seller_values]) if order_lines else []
    )
    nets = [Decimal(line.unit_weight_kg) * line.quantity for line in order_lines]
    gross = _split_weight(Decimal(parcel.weight_kg), nets) if order_lines else []
    rows = []
    for index, line in enumerate(order_lines):
        quoted = quote_lines.get(line.quote_line_id) or {}
        duty = quoted.get("duty") or None
        programme = (duty or {}).get("programme") or ""
        goods = goods_shares[index]
        rows.append(
            {
                "seq": index + 1,
                "sku": line.sku,
                "description": line.product_title,
                "hs_code": line.hs_code,
                "origin": line.origin,
                "quantity": line.quantity,
                "unit_weight_kg": _decimal3(Decimal(line.unit_weight_kg)),
                "net_kg": _decimal3(nets[index]),
                "gross_kg": _decimal3(gross[index]),
                "seller_unit_price": Money.from_minor(
                    line.unit_price_minor, line.currency
                ).as_string(),
                "seller_value": seller_values[index].as_string(),
                "seller_currency": line.currency,
                "goods_value": goods.as_string(),
                "goods_unit_value": str(
                    (goods.amount / line.quantity).quantize(
                        Decimal("0.0001"), rounding=ROUND_HALF_UP
                    )
                ),
                "customs_value": str(quoted.get("customs_value") or ""),
                "duty": duty,
                "additional_duties": quoted.get("additional_duties") or [],
                "fees": quoted.get("fees") or [],
                "taxes": quoted.get("taxes") or [],
                "programme": programme,
                "variant": line.variant,
            }
        )
    return rows


def order_lines_for(order: Order, parcel: Parcel) -> list[dict[str, Any]]:
    """The order's lines as the papers declare them (values, weights, the quote's duty and
    taxes of each)."""
    return _lines(order, parcel, order.quote or {})


def _party_address(profile: TraderProfile | None, organisation: Organisation) -> list[str]:
    if profile is not None and profile.address.strip():
        return [part.strip() for part in profile.address.splitlines() if part.strip()]
    return [country_name(organisation.country)]


def context_for(parcel: Parcel, *, master_awb: str | None = None) -> dict[str, Any]:
    """The plain context of the parcel's papers (without a declaration's own reference)."""
    order = parcel.order
    checkout = order.checkout
    quote = order.quote or {}
    seller_profile = _profile(parcel.seller)
    platform = platform_organisation()
    platform_profile = _profile(platform)
    address = dict(parcel.ship_to or {})
    shipment = parcel.shipment
    awb = master_awb if master_awb is not None else (shipment.awb if shipment else "")
    carrier = shipment.lane.carrier if shipment else None
    zone = parcel.destination_hub.time_zone
    lines = _lines(order, parcel, quote)
    return {
        "lrn": "",
        "date": clock.today().isoformat(),
        "timestamp": _stamp(clock.now(), zone),
        "guids": [str(uuid.uuid4()).upper() for _ in range(3)],
        "order": {
            "id": str(order.public_id),
            "reference": order.reference,
            "reference_long": str(order.public_id).upper(),
            "incoterm": order.incoterm,
            "currency": order.currency,
            "quote_id": order.quote_id,
            "rules_version": order.rules_version,
            "buyer_email": checkout.email,
            "payment_reference": checkout.payment_reference or str(checkout.public_id),
            "payment_provider": platform_profile.cn_registration_code if platform_profile else "",
            "payment_provider_name": f"{platform.name if platform else PLATFORM_NAME} (escrow)",
            "paid_stamp": _stamp(checkout.paid_at, zone),
            "created_on": order.created_at.date().isoformat(),
        },
        "quote": quote,
        "parcel": {
            "code": parcel.code,
            "gross_kg": _decimal3(Decimal(parcel.weight_kg)),
            "length_cm": parcel.length_cm,
            "width_cm": parcel.width_cm,
            "height_cm": parcel.height_cm,
            "origin_hub": parcel.origin_hub.code,
            "origin_hub_name": parcel.origin_hub.place,
            "destination_hub": parcel.destination_hub.code,
            "destination_hub_name": parcel.destination_hub.place,
            "master_awb": awb,
            "carrier_code": carrier.code if carrier else "",
            "carrier_name": carrier.name if carrier else "",
        },
        "exporter": {
            "name": parcel.seller.name,
            "country": parcel.seller.country,
            "address": _party_address(seller_profile, parcel.seller),
            "city": seller_profile.city if seller_profile else "",
            "tin": seller_profile.tin if seller_profile else "",
            "eori": seller_profile.eori if seller_profile else "",
        },
        "consignee": {
            **{k: str(v) for k, v in address.items()},
            "country": address.get("country") or order.destination,
            "email": checkout.email,
            # Given at checkout, or later (or corrected) on the order page: the checkout has
            # the buyer's latest; the parcel's copy is from packing.
            "id_number": str(
                (checkout.shipping_address or {}).get("id_number") or address.get("id_number") or ""
            ),
        },
        "declarant": {
            "name": platform.name if platform else PLATFORM_NAME,
            "country": platform.country if platform else "RW",
            "eori": platform_profile.eori if platform_profile else "",
            "ioss_number": platform_profile.ioss_number if platform_profile else "",
            "cn_registration_code": platform_profile.cn_registration_code
            if platform_profile
            else "",
            "us_importer_number": platform_profile.us_importer_number if platform_profile else "",
        },
        "office": {"code": "", "name": ""},
        "lines": lines,
    }


def lrn_for(parcel: Parcel, kind: str) -> str:
    return parcel.code.replace("-", "") + ("EX" if kind == "export" else "IM")


def _draft(context: dict[str, Any], parcel: Parcel, kind: str) -> Draft:
    quote = context["quote"]
    if kind == "export":
        country = parcel.origin_hub.country
        dataset = datasets.export_dataset_for(country)
        lines = context["lines"]
        currency = lines[0]["seller_currency"] if lines else parcel.order.seller_currency
        value = Money.of(
            str(sum((Decimal(line["seller_value"]) for line in lines), Decimal(0))), currency
        )
    else:
        country = parcel.destination_country
        dataset = datasets.import_dataset_for(quote)
        currency = str(quote.get("customs_currency") or parcel.order.currency)
        goods = ((quote.get("totals") or {}).get("customs") or {}).get("goods") or "0"
        value = Money.of(str(goods), currency)
    jurisdiction = jurisdiction_for(country, kind)
    office = (
        {"code": jurisdiction.office_code, "name": jurisdiction.office_name}
        if jurisdiction
        else {"code": "", "name": ""}
    )
    local = {**context, "lrn": lrn_for(parcel, kind), "office": office}
    data = datasets.build(dataset, local, kind=kind)
    errors = datasets.validate(data)
    return Draft(
        kind=kind,
        dataset=dataset,
        country=country,
        authority=jurisdiction.authority if jurisdiction else None,
        office=office,
        data=data,
        errors=errors,
        value=value.rounded(),
    )


def origin_statement_for(context: dict[str, Any], preferential: list[dict[str, Any]]) -> str:
    """The exporter's origin statement where a tariff preference was used (text)."""
    if not preferential:
        return ""
    programmes = _programmes()
    exporter = context["exporter"]
    origin_name = country_name(preferential[0]["origin"])
    destination = country_name(context["consignee"].get("country", ""))
    paragraphs = []
    for programme_id in sorted({line["programme"] for line in preferential}):
        programme = programmes.get(programme_id, {})
        name = programme.get("name") or programme_id
        items = ", ".join(
            f"item {line['seq']} (HS {line['hs_code']})"
            for line in preferential
            if line["programme"] == programme_id
        )
        if programme.get("proof") == "certificate_of_origin":
            paragraphs.append(
                f"Exporter's declaration for the certificate of origin ({name}): the "
                f"undersigned, {exporter['name']} (TIN {exporter.get('tin') or 'not given'}), "
                f"declares that the details and statements above are correct, that all the goods "
                f"({items}) were produced in {origin_name} and that they comply with the origin "
                f"requirements of {name} for goods exported to {destination}. A certificate of "
                "origin issued by the competent authority of the exporting country accompanies "
                "the goods."
            )
        else:
            paragraphs.append(
                f"Statement on origin ({name}): the exporter {exporter['name']} (TIN "
                f"{exporter.get('tin') or 'not given'}; not a registered exporter, consignment "
                "value up to EUR 6,000) of the products covered by this document declares "
                f"that, except where otherwise clearly indicated, these products ({items}) are "
                f"of {origin_name} preferential origin according to the rules of origin of {name}, "
                "and that the origin criterion met is P (wholly obtained)."
            )
    return "\n\n".join(paragraphs)


def _invoice_lines(context: dict[str, Any], order: Order) -> list[dict[str, Any]]:
    """Each line's share of what the buyer paid for the goods, in the buyer's currency."""
    lines = context["lines"]
    display = ((context["quote"].get("totals") or {}).get("display") or {}).get("goods")
    total = (
        Money.of(str(display or "0"), order.currency)
        if display
        else Money.from_minor(order.goods_minor, order.currency)
    )
    shares = allocate(total, [Decimal(line["seller_value"]) for line in lines]) if lines else []
    return [{**line, "amount": share} for line, share in zip(lines, shares, strict=True)]


def papers_for(parcel: Parcel) -> Papers:
    """Everything printed or declared for a parcel, built now from its stored order."""
    context = context_for(parcel)
    order = parcel.order
    papers = Papers(parcel=parcel, order=order, context=context)
    if parcel.is_local:  # delivered inside the country: an invoice, no customs papers
        papers.invoice_lines = _invoice_lines(context, order)
        return papers
    papers.drafts = [_draft(context, parcel, "export"), _draft(context, parcel, "import")]
    papers.preferential = [line for line in context["lines"] if line["programme"]]
    papers.origin_statement = origin_statement_for(context, papers.preferential)
    quote = context["quote"]
    goods = ((quote.get("totals") or {}).get("customs") or {}).get("goods") or "0"
    currency = str(quote.get("customs_currency") or order.currency)
    day = date.fromisoformat(str(quote.get("date"))) if quote.get("date") else clock.today()
    papers.postal_form = postal_form_for(Money.of(str(goods), currency), day)
    papers.invoice_lines = _invoice_lines(context, order)
    return papers


def risk_lines(context: dict[str, Any]) -> list[RiskLine]:
    rows = []
    for line in context["lines"]:
        variant = line["variant"]
        catalog_price = (
            Money.from_minor(variant.price_minor, variant.currency).amount
            if variant is not None and variant.currency == line["seller_currency"]
            else None
        )
        rows.append(
            RiskLine(
                seq=line["seq"],
                hs_code=str(line["hs_code"]),
                description=line["description"],
                quantity=int(line["quantity"]),
                declared_unit_price=Decimal(line["seller_unit_price"]),
                catalog_unit_price=catalog_price,
                catalog_unit_weight_kg=Decimal(variant.weight_kg)
                if variant is not None
                else Decimal(line["unit_weight_kg"]),
                currency=line["seller_currency"],
                programme=line["programme"],
            )
        )
    return rows


def flags_for(
    papers: Papers, draft: Draft, *, is_origin_statement_made: bool
) -> list[dict[str, Any]]:
    return risk_flags(
        lines=risk_lines(papers.context),
        parcel_weight_kg=Decimal(papers.parcel.weight_kg),
        restrictions=restrictions_for(draft.kind, draft.country),
        on=clock.today(),
        # A preference is claimed on import; the export declaration claims none.
        is_origin_statement_made=draft.kind == "export" or is_origin_statement_made,
    )
