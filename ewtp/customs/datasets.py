"""The declaration data sets a parcel's route needs, built from its papers, and their rules.

Shapes follow /work/shared/reference/customs-datasets.md (copied in spirit, element by element):

- ``rw_asycuda_export``: the SAD export declaration of Rwanda's ASYCUDA World single window
  (box numbers in the comments), model EX 1, customs procedure code 1000.
- ``eu_h7``: the EU super-reduced import data set for consignments up to EUR 150 (Annex B,
  column H7), 6-digit HS subheadings, IOSS (additional procedure F48, fiscal reference role FR5)
  where VAT was collected at checkout, merchant product identifiers from 1 November 2026.
- ``cn_9610``: the order (CEB311), payment (CEB411) and waybill (CEB511) messages of China's
  cross-border retail import channel, amounts in RMB (currency code 142).
- ``us_type11``: a US informal entry (type 11, CBP 7501 data), HTS codes and entered values.
- ``wco_generic``: a declaration in the WCO data model's names (DEC-DMS), for every other
  destination, and for EU or China consignments outside their low-value channels.

Every value comes from the papers, i.e. from the order's stored quote (customs values, duties,
taxes) and the order's own lines; nothing is priced again here. Pure: no Django.

Codes not found in the reference and chosen here (check them against the primary texts before
lodging for real): SAD mode of transport 4 (air) and valuation method 1; H7 previous and
transport document types N703 (house waybill) and N741 (master air waybill); 9610 unit code
011 (piece) and ISO alpha-2 country codes (the channel's own numeric codes are mapped by the
filing agent); CBP mode of transport 40 (air).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ewtp.customs.fieldrules import Errors, Field, check, decimal_or_none, get

RW_EXPORT = "rw_asycuda_export"
EU_H7 = "eu_h7"
CN_9610 = "cn_9610"
US_TYPE_11 = "us_type11"
WCO = "wco_generic"

EU_H7_LIMIT = Decimal("150")  # EUR of intrinsic value per consignment
US_TYPE_11_LIMIT = Decimal("2500")  # USD, 19 CFR 143.21(a)
EU_PRODUCT_IDS_FROM = "2026-11-01"  # Delegated Reg. (EU) 2026/1022: item product identifiers
RMB = "142"  # the 9610 channel's code for the renminbi

INCOTERMS = ("EXW", "FCA", "FAS", "FOB", "CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP")


# Choosing the data sets -----------------------------------------------------------------------


def export_dataset_for(origin_country: str) -> str:
    return RW_EXPORT if origin_country == "RW" else WCO


def import_dataset_for(quote: dict[str, Any]) -> str:
    """The shape of the destination's low-value regime, as the stored quote applied it."""
    territory = quote.get("territory")
    regime = str((quote.get("regime") or {}).get("id") or "standard")
    if territory == "EU" and regime != "standard":
        return EU_H7
    if territory == "CN" and regime.startswith("cn-cbec"):
        return CN_9610
    if territory == "US":
        return US_TYPE_11
    return WCO


# Helpers ---------------------------------------------------------------------------------------


def _address_line(party: dict[str, Any]) -> str:
    parts = [party.get(k, "") for k in ("line1", "line2", "landmark")]
    return ", ".join(p for p in parts if p)


def _sum(values: Sequence[Any]) -> Decimal:
    total = Decimal(0)
    for value in values:
        number = decimal_or_none(value)
        if number is not None:
            total += number
    return total


def _hs(line: dict[str, Any]) -> str:
    return str(line.get("hs_code") or "").replace(".", "").replace(" ", "")


def _money(amount: Any, currency: str) -> dict[str, str]:
    return {"amount": str(amount) if amount not in (None, "") else "", "currency": currency}


def _transport_documents(ctx: dict[str, Any]) -> list[dict[str, str]]:
    parcel = ctx["parcel"]
    documents = [{"type": "N703", "reference": parcel["code"]}]
    if parcel.get("master_awb"):
        documents.append({"type": "N741", "reference": parcel["master_awb"]})
    return documents


def _equal(data: dict[str, Any], left: str, right: str, what: str) -> Errors:
    if str(get(data, left) or "") != str(get(data, right) or ""):
        return {right: f"must equal {left} ({what})"}
    return {}


# Rwanda: ASYCUDA World SAD, export -----------------------------------------------------------


def build_rw_export(ctx: dict[str, Any]) -> dict[str, Any]:
    lines = ctx["lines"]
    exporter, consignee, parcel = ctx["exporter"], ctx["consignee"], ctx["parcel"]
    currency = lines[0]["seller_currency"] if lines else ""
    return {
        "dataset": RW_EXPORT,
        "reference": ctx["lrn"],  # box 7
        "date": ctx["date"],
        "office_of_export": dict(ctx["office"]),  # box A
        "model": {"type": "EX", "procedure": "1"},  # box 1: EX 1, definitive export
        "exporter": {  # box 2
            "name": exporter["name"],
            "tin": exporter.get("tin", ""),
            "address": ", ".join(exporter.get("address", [])),
            "country": exporter["country"],
        },
        "consignee": {  # box 8
            "name": consignee.get("name", ""),
            "address": ", ".join(
                p
                for p in (
                    _address_line(consignee),
                    consignee.get("postal_code", ""),
                    consignee.get("city", ""),
                )
                if p
            ),
            "country": consignee.get("country", ""),
        },
        "declarant": {"name": ctx["declarant"]["name"], "reference": ctx["lrn"]},  # box 14
        "countries": {  # boxes 15, 17
            "export": exporter["country"],
            "destination": consignee.get("country", ""),
        },
        "delivery_terms": {  # box 20
            "incoterm": ctx["order"]["incoterm"],
            "place": consignee.get("city", ""),
        },
        "invoice": {  # box 22
            "currency": currency,
            "amount": str(_sum([line["seller_value"] for line in lines])),
        },
        "transport": {  # boxes 18, 21, 25
            "mode_at_border": "4",
            "house_waybill": parcel["code"],
            "master_awb": parcel.get("master_awb", ""),
        },
        "office_of_exit": {"code": ctx["office"].get("code", "")},  # box 29
        "location_of_goods": parcel.get("origin_hub_name", ""),  # box 30
        "total_items": len(lines),  # box 5
        "packages": 1,  # box 6
        "gross_mass_kg": parcel["gross_kg"],
        "items": [
            {
                "item_number": line["seq"],  # box 32
                "description": line.get("description", ""),  # box 31
                "marks": parcel["code"],
                "commodity_code": _hs(line),  # box 33
                "origin": line.get("origin", ""),  # box 34
                "gross_mass_kg": line.get("gross_kg", ""),  # box 35
                "preference": "",  # box 36
                "cpc": "1000",  # box 37: permanent export
                "net_mass_kg": line.get("net_kg", ""),  # box 38
                "supplementary_units": line.get("quantity", ""),  # box 41
                "item_price": line.get("seller_value", ""),  # box 42
                "valuation_method": "1",  # box 43: transaction value
                "statistical_value": line.get("seller_value", ""),  # box 46
            }
            for line in lines
        ],
    }


RW_EXPORT_RULES = (
    Field("reference", max_length=22, pattern=r"[A-Z0-9]+", expect="up to 22 letters and digits"),
    Field("date", kind="date"),
    Field("office_of_export.code", max_length=17, expect="the customs office of export"),
    Field("model.type", codes=("EX",)),
    Field("model.procedure", codes=("1", "3")),
    Field("exporter.name", max_length=70),
    Field(
        "exporter.tin",
        pattern=r"\d{9}",
        expect="the exporter's 9-digit TIN (Rwanda Revenue Authority)",
    ),
    Field("exporter.country", kind="country"),
    Field("consignee.name", max_length=70),
    Field("consignee.country", kind="country"),
    Field("declarant.name", max_length=70),
    Field("countries.export", codes=("RW",)),
    Field("countries.destination", kind="country"),
    Field("delivery_terms.incoterm", codes=INCOTERMS),
    Field("invoice.currency", kind="currency"),
    Field("invoice.amount", kind="decimal", positive=True),
    Field("transport.mode_at_border", codes=("1", "2", "3", "4", "5", "7", "8", "9")),
    Field("transport.house_waybill", max_length=35),
    Field("packages", kind="integer", positive=True),
    Field("total_items", kind="integer", positive=True),
    Field("items", kind="list"),
    Field("items[].description", max_length=200),
    Field("items[].commodity_code", pattern=r"\d{6,10}", expect="6 to 10 digits of the HS code"),
    Field("items[].origin", kind="country", expect="the goods' country of origin"),
    Field("items[].gross_mass_kg", kind="decimal", positive=True),
    Field("items[].net_mass_kg", kind="decimal", positive=True),
    Field("items[].cpc", codes=("1000",)),
    Field("items[].supplementary_units", kind="integer", positive=True),
    Field("items[].item_price", kind="decimal"),
)


def _rw_export_cross(data: dict[str, Any]) -> Errors:
    errors: Errors = {}
    items = data.get("items") or []
    if str(data.get("total_items")) != str(len(items)):
        errors["total_items"] = f"must equal the number of items ({len(items)})"
    total = _sum([item.get("item_price") for item in items])
    if decimal_or_none(get(data, "invoice.amount")) != total:
        errors["invoice.amount"] = f"must equal the sum of the item prices ({total})"
    return errors


# EU: H7 ---------------------------------------------------------------------------------------


def build_eu_h7(ctx: dict[str, Any]) -> dict[str, Any]:
    quote, lines, parcel = ctx["quote"], ctx["lines"], ctx["parcel"]
    consignee, declarant = ctx["consignee"], ctx["declarant"]
    currency = quote["customs_currency"]
    totals = quote["totals"]["customs"]
    regime = quote.get("regime") or {}
    is_ioss = regime.get("taxes_collected_at") == "checkout"
    data: dict[str, Any] = {
        "dataset": EU_H7,
        "declaration": {
            "type": "IM",  # 1/1
            "additional_type": "A",  # 1/2: standard, lodged before presentation
            "lrn": ctx["lrn"],  # 2/5
            "date": ctx["date"],
            "total_items": len(lines),  # 1/9
            "customs_office": ctx["office"].get("code", ""),
        },
        "previous_document": {"type": "N703", "reference": parcel["code"]},  # 12 01 (2/1)
        "transport_documents": _transport_documents(ctx),  # 12 05
        "exporter": {  # 13 01
            "name": ctx["exporter"]["name"],
            "address": {
                "street": ", ".join(ctx["exporter"].get("address", [])[:1]),
                "city": ctx["exporter"].get("city", ""),
                "country": ctx["exporter"]["country"],
            },
        },
        "importer": {  # 3/15: the buyer
            "name": consignee.get("name", ""),
            "address": {
                "street": _address_line(consignee),
                "city": consignee.get("city", ""),
                "postcode": consignee.get("postal_code", ""),
                "country": consignee.get("country", ""),
            },
        },
        "declarant": {  # 13 05: the platform lodges it
            "name": declarant["name"],
            "identification": declarant.get("eori", ""),
        },
        "additional_fiscal_references": (  # 13 16: the IOSS number, role FR5
            [{"role": "FR5", "vat_identification": declarant.get("ioss_number", "")}]
            if is_ioss
            else []
        ),
        "transport_insurance_costs": _money(  # 14 15
            _sum([totals.get("shipping"), totals.get("insurance")]), currency
        ),
        "total_intrinsic_value": _money(totals.get("goods"), currency),
        "items": [
            {
                "item_number": line["seq"],  # 1/6
                "procedure": "4000",  # 11 09: release for free circulation, home use
                "additional_procedure": "F48" if is_ioss else "C07",  # 11 10
                "description": line.get("description", ""),
                "hs_subheading": _hs(line)[:6],  # 18 09: 6 digits
                "country_of_origin": line.get("origin", ""),
                "quantity": line.get("quantity", ""),
                "gross_mass_kg": line.get("gross_kg", ""),
                "intrinsic_value": _money(line.get("goods_value"), currency),  # 14 14
                "merchant_product_id": line.get("sku", ""),
            }
            for line in lines
        ],
        # Not H7 elements: what the buyer paid under the quote, for the officer's reading.
        "quote": {
            "regime": regime.get("id", ""),
            "duty": _money(totals.get("duty"), currency),
            "vat": _money(totals.get("taxes"), currency),
            "vat_collected_at": regime.get("taxes_collected_at", ""),
            "rules_version": quote.get("rules_version", ""),
            "quote_id": quote.get("quote_id", ""),
        },
    }
    return data


EU_H7_RULES = (
    Field("declaration.type", codes=("IM",)),
    Field("declaration.additional_type", codes=("A", "D")),
    Field("declaration.lrn", max_length=22, pattern=r"[A-Z0-9]+"),
    Field("declaration.date", kind="date"),
    Field("declaration.total_items", kind="integer", positive=True),
    Field(
        "declaration.customs_office",
        pattern=r"[A-Z]{2}[A-Z0-9]{6}",
        expect="an EU customs office reference number, e.g. BE212000",
    ),
    Field("previous_document.type", codes=("N703", "N740", "N741")),
    Field("previous_document.reference", max_length=70),
    Field("transport_documents", kind="list"),
    Field("transport_documents[].type", codes=("N703", "N740", "N741")),
    Field("transport_documents[].reference", max_length=70),
    Field("exporter.name", max_length=70),
    Field("exporter.address.country", kind="country"),
    Field("importer.name", max_length=70),
    Field("importer.address.city", max_length=35),
    Field("importer.address.country", kind="country"),
    Field(
        "declarant.identification",
        pattern=r"[A-Z]{2}[A-Z0-9]{1,15}",
        expect="the declarant's EORI number",
    ),
    Field("transport_insurance_costs.amount", kind="decimal"),
    Field("transport_insurance_costs.currency", kind="currency"),
    Field("total_intrinsic_value.amount", kind="decimal"),
    Field("total_intrinsic_value.currency", codes=("EUR",)),
    Field("items", kind="list"),
    Field("items[].procedure", codes=("4000",)),
    Field("items[].additional_procedure", codes=("C07", "C08", "F48", "F49", "F53")),
    Field("items[].description", max_length=512),
    Field("items[].hs_subheading", pattern=r"\d{6}", expect="the 6-digit HS subheading"),
    Field("items[].country_of_origin", kind="country", expect="the goods' country of origin"),
    Field("items[].gross_mass_kg", kind="decimal", positive=True),
    Field("items[].intrinsic_value.amount", kind="decimal"),
    Field("items[].intrinsic_value.currency", kind="currency"),
    Field("items[].merchant_product_id", required=False, max_length=35),
)


def _eu_h7_cross(data: dict[str, Any]) -> Errors:
    errors: Errors = {}
    items = data.get("items") or []
    total = decimal_or_none(get(data, "total_intrinsic_value.amount"))
    if total is not None and total > EU_H7_LIMIT:
        errors["total_intrinsic_value.amount"] = (
            f"H7 covers consignments of intrinsic value up to EUR {EU_H7_LIMIT}; this one is {total}"
        )
    if str(get(data, "declaration.total_items")) != str(len(items)):
        errors["declaration.total_items"] = f"must equal the number of items ({len(items)})"
    if any(item.get("additional_procedure") == "F48" for item in items):
        references = data.get("additional_fiscal_references") or []
        ioss = [r for r in references if r.get("role") == "FR5"]
        if not ioss:
            errors["additional_fiscal_references"] = "F48 needs the IOSS number (role FR5)"
        elif not re.fullmatch(r"IM\d{10}", str(ioss[0].get("vat_identification") or "")):
            errors["additional_fiscal_references.0.vat_identification"] = (
                "an IOSS number: IM and 10 digits"
            )
    if str(get(data, "declaration.date") or "") >= EU_PRODUCT_IDS_FROM:
        for index, item in enumerate(items):
            if not str(item.get("merchant_product_id") or "").strip():
                errors[f"items.{index}.merchant_product_id"] = (
                    f"required from {EU_PRODUCT_IDS_FROM}: the merchant's product identifier"
                )
    return errors


# China: 9610 cross-border retail import -------------------------------------------------------


def cn_id_check(number: str) -> bool:
    """Resident identity card number: 17 digits and an ISO 7064 MOD 11-2 check (0-9 or X)."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17]


@dataclass(frozen=True)
class _CnFigures:
    """What the three 9610 messages share: the amounts in RMB, the platform, the address."""

    goods: Decimal
    freight: Decimal
    insured: Decimal
    tax: Decimal
    discount: Decimal
    paid: Decimal
    address: str
    platform_code: str
    head: dict[str, str]


def _cn_figures(ctx: dict[str, Any]) -> _CnFigures:
    totals = ctx["quote"]["totals"]["customs"]
    consignee = ctx["consignee"]
    goods = _sum([totals.get("goods")])
    freight = _sum([totals.get("shipping")])
    tax = _sum([totals.get("duty"), totals.get("taxes"), totals.get("fees")])
    discount = Decimal("0")
    parts = (consignee.get("region", ""), consignee.get("city", ""), _address_line(consignee))
    return _CnFigures(
        goods=goods,
        freight=freight,
        insured=_sum([totals.get("insurance")]),
        tax=tax,
        discount=discount,
        paid=goods + freight + tax - discount,
        address=", ".join(part for part in parts if part),
        platform_code=ctx["declarant"].get("cn_registration_code", ""),
        head={"appType": "1", "appTime": ctx["timestamp"], "appStatus": "2"},
    )


def _cn_order(ctx: dict[str, Any], f: _CnFigures) -> dict[str, Any]:
    """CEB311: the order, its head and its lines."""
    order, consignee, declarant = ctx["order"], ctx["consignee"], ctx["declarant"]
    head = {
        "guid": ctx["guids"][0],
        **f.head,
        "orderType": "I",
        "orderNo": order["reference_long"],
        "ebpCode": f.platform_code,
        "ebpName": declarant["name"],
        "ebcCode": f.platform_code,
        "ebcName": ctx["exporter"]["name"],
        "goodsValue": str(f.goods),
        "freight": str(f.freight),
        "discount": str(f.discount),
        "taxTotal": str(f.tax),
        "acturalPaid": str(f.paid),
        "currency": RMB,
        "buyerRegNo": order.get("buyer_email", ""),
        "buyerName": consignee.get("name", ""),
        "buyerIdType": "1",
        "buyerIdNumber": consignee.get("id_number", ""),
        "payCode": order.get("payment_provider", ""),
        "payName": order.get("payment_provider_name", ""),
        "payTransactionId": order.get("payment_reference", ""),
        "batchNumbers": "",
        "consignee": consignee.get("name", ""),
        "consigneeTelephone": consignee.get("phone", ""),
        "consigneeAddress": f.address,
        "consigneeDistrict": "",
    }
    items = [
        {
            "gnum": line["seq"],
            "itemNo": line.get("sku", ""),
            "itemName": line.get("description", ""),
            "gcode": _hs(line),
            "itemDescribe": line.get("description", ""),
            "barCode": "",
            "unit": "011",
            "qty": line.get("quantity", ""),
            "price": line.get("goods_unit_value", ""),
            "totalPrice": line.get("goods_value", ""),
            "currency": RMB,
            "country": line.get("origin", ""),
        }
        for line in ctx["lines"]
    ]
    return {"OrderHead": head, "OrderList": items}


def _cn_payment(ctx: dict[str, Any], f: _CnFigures) -> dict[str, Any]:
    """CEB411: the payment."""
    order, consignee = ctx["order"], ctx["consignee"]
    return {
        "PaymentHead": {
            "guid": ctx["guids"][1],
            **f.head,
            "payCode": order.get("payment_provider", ""),
            "payName": order.get("payment_provider_name", ""),
            "payTransactionId": order.get("payment_reference", ""),
            "orderNo": order["reference_long"],
            "ebpCode": f.platform_code,
            "ebpName": ctx["declarant"]["name"],
            "payerIdType": "1",
            "payerIdNumber": consignee.get("id_number", ""),
            "payerName": consignee.get("name", ""),
            "telephone": consignee.get("phone", ""),
            "amountPaid": str(f.paid),
            "currency": RMB,
            "payTime": order.get("paid_stamp", ""),
        }
    }


def _cn_logistics(ctx: dict[str, Any], f: _CnFigures) -> dict[str, Any]:
    """CEB511: the carriage."""
    parcel, consignee = ctx["parcel"], ctx["consignee"]
    return {
        "LogisticsHead": {
            "guid": ctx["guids"][2],
            **f.head,
            "logisticsCode": f.platform_code,
            "logisticsName": ctx["declarant"]["name"],
            "logisticsNo": parcel["code"],
            "billNo": parcel.get("master_awb", ""),
            "orderNo": ctx["order"]["reference_long"],
            "freight": str(f.freight),
            "insuredFee": str(f.insured),
            "currency": RMB,
            "weight": parcel["gross_kg"],
            "packNo": 1,
            "goodsInfo": "; ".join(line.get("description", "") for line in ctx["lines"])[:200],
            "consignee": consignee.get("name", ""),
            "consigneeAddress": f.address,
            "consigneeTelephone": consignee.get("phone", ""),
        }
    }


def build_cn_9610(ctx: dict[str, Any]) -> dict[str, Any]:
    quote, declarant = ctx["quote"], ctx["declarant"]
    figures = _cn_figures(ctx)
    return {
        "dataset": CN_9610,
        "BaseTransfer": {
            "copCode": figures.platform_code,
            "copName": declarant["name"],
            "dxpMode": "DXP",
            "dxpId": "",
        },
        "CEB311Message": _cn_order(ctx, figures),
        "CEB411Message": _cn_payment(ctx, figures),
        "CEB511Message": _cn_logistics(ctx, figures),
        "quote": {**_quote_ref(quote), "customs_currency": quote.get("customs_currency", "")},
    }


_CODE10 = r"[0-9A-Z]{10}"
_STAMP = r"\d{14}"
CN_9610_RULES = (
    Field(
        "BaseTransfer.copCode",
        pattern=_CODE10,
        expect="the 10-character China customs registration code",
    ),
    Field("BaseTransfer.copName", max_length=100),
    Field("CEB311Message.OrderHead.guid", pattern=r"[0-9A-F-]{36}"),
    Field("CEB311Message.OrderHead.appType", codes=("1", "2", "3")),
    Field("CEB311Message.OrderHead.appTime", pattern=_STAMP, expect="YYYYMMDDhhmmss"),
    Field("CEB311Message.OrderHead.appStatus", codes=("1", "2")),
    Field("CEB311Message.OrderHead.orderType", codes=("I",)),
    Field("CEB311Message.OrderHead.orderNo", max_length=60),
    Field(
        "CEB311Message.OrderHead.ebpCode",
        pattern=_CODE10,
        expect="the platform's registration code",
    ),
    Field("CEB311Message.OrderHead.ebpName", max_length=100),
    Field(
        "CEB311Message.OrderHead.ebcCode", pattern=_CODE10, expect="the e-shop's registration code"
    ),
    Field("CEB311Message.OrderHead.ebcName", max_length=100),
    Field("CEB311Message.OrderHead.goodsValue", kind="decimal", positive=True),
    Field("CEB311Message.OrderHead.freight", kind="decimal"),
    Field("CEB311Message.OrderHead.discount", kind="decimal"),
    Field("CEB311Message.OrderHead.taxTotal", kind="decimal"),
    Field("CEB311Message.OrderHead.acturalPaid", kind="decimal", positive=True),
    Field("CEB311Message.OrderHead.currency", codes=(RMB,)),
    Field("CEB311Message.OrderHead.buyerRegNo", max_length=60),
    Field("CEB311Message.OrderHead.buyerName", max_length=60, expect="the buyer's real name"),
    Field("CEB311Message.OrderHead.buyerIdType", codes=("1",)),
    Field(
        "CEB311Message.OrderHead.buyerIdNumber",
        pattern=r"\d{17}[\dX]",
        expect="the buyer's 18-character resident identity card number",
    ),
    Field("CEB311Message.OrderHead.payCode", max_length=18),
    Field("CEB311Message.OrderHead.payName", max_length=100),
    Field(
        "CEB311Message.OrderHead.payTransactionId",
        max_length=60,
        expect="the payment's transaction id",
    ),
    Field("CEB311Message.OrderHead.consignee", max_length=100),
    Field("CEB311Message.OrderHead.consigneeTelephone", max_length=50),
    Field("CEB311Message.OrderHead.consigneeAddress", max_length=200),
    Field("CEB311Message.OrderList", kind="list"),
    Field("CEB311Message.OrderList[].gnum", kind="integer", positive=True),
    Field("CEB311Message.OrderList[].itemNo", max_length=30),
    Field("CEB311Message.OrderList[].itemName", max_length=250),
    Field(
        "CEB311Message.OrderList[].gcode",
        pattern=r"\d{6,10}",
        expect="6 to 10 digits of the HS code",
    ),
    Field("CEB311Message.OrderList[].unit", codes=("011", "035")),
    Field("CEB311Message.OrderList[].qty", kind="integer", positive=True),
    Field("CEB311Message.OrderList[].price", kind="decimal"),
    Field("CEB311Message.OrderList[].totalPrice", kind="decimal"),
    Field("CEB311Message.OrderList[].currency", codes=(RMB,)),
    Field(
        "CEB311Message.OrderList[].country", kind="country", expect="the goods' country of origin"
    ),
    Field("CEB411Message.PaymentHead.guid", pattern=r"[0-9A-F-]{36}"),
    Field("CEB411Message.PaymentHead.payCode", max_length=18),
    Field("CEB411Message.PaymentHead.payTransactionId", max_length=60),
    Field("CEB411Message.PaymentHead.orderNo", max_length=60),
    Field("CEB411Message.PaymentHead.payerIdType", codes=("1",)),
    Field("CEB411Message.PaymentHead.payerIdNumber", pattern=r"\d{17}[\dX]"),
    Field("CEB411Message.PaymentHead.payerName", max_length=60),
    Field("CEB411Message.PaymentHead.telephone", max_length=50),
    Field("CEB411Message.PaymentHead.amountPaid", kind="decimal", positive=True),
    Field("CEB411Message.PaymentHead.currency", codes=(RMB,)),
    Field("CEB411Message.PaymentHead.payTime", pattern=_STAMP, expect="YYYYMMDDhhmmss"),
    Field("CEB511Message.LogisticsHead.guid", pattern=r"[0-9A-F-]{36}"),
    Field("CEB511Message.LogisticsHead.logisticsCode", pattern=_CODE10),
    Field("CEB511Message.LogisticsHead.logisticsName", max_length=100),
    Field("CEB511Message.LogisticsHead.logisticsNo", max_length=60),
    Field("CEB511Message.LogisticsHead.billNo", required=False, max_length=37),
    Field("CEB511Message.LogisticsHead.orderNo", max_length=60),
    Field("CEB511Message.LogisticsHead.freight", kind="decimal"),
    Field("CEB511Message.LogisticsHead.insuredFee", kind="decimal"),
    Field("CEB511Message.LogisticsHead.currency", codes=(RMB,)),
    Field("CEB511Message.LogisticsHead.weight", kind="decimal", positive=True),
    Field("CEB511Message.LogisticsHead.packNo", kind="integer", positive=True),
    Field("CEB511Message.LogisticsHead.goodsInfo", max_length=200),
    Field("CEB511Message.LogisticsHead.consignee", max_length=100),
    Field("CEB511Message.LogisticsHead.consigneeAddress", max_length=200),
    Field("CEB511Message.LogisticsHead.consigneeTelephone", max_length=50),
)


def _cn_9610_cross(data: dict[str, Any]) -> Errors:
    errors: Errors = {}
    order = "CEB311Message.OrderHead"
    payment = "CEB411Message.PaymentHead"
    waybill = "CEB511Message.LogisticsHead"
    values = {
        name: decimal_or_none(get(data, f"{order}.{name}"))
        for name in ("goodsValue", "freight", "taxTotal", "discount", "acturalPaid")
    }
    if None not in values.values():
        expected = (
            values["goodsValue"] + values["freight"] + values["taxTotal"] - values["discount"]  # type: ignore[operator]
        )
        if values["acturalPaid"] != expected:
            errors[f"{order}.acturalPaid"] = (
                f"must equal goods + freight + tax - discount ({expected})"
            )
    items = get(data, "CEB311Message.OrderList") or []
    lines_total = _sum([item.get("totalPrice") for item in items])
    if values["goodsValue"] is not None and lines_total != values["goodsValue"]:
        errors["CEB311Message.OrderList"] = f"the line totals ({lines_total}) must equal goodsValue"
    number = str(get(data, f"{order}.buyerIdNumber") or "")
    if number and not cn_id_check(number):
        errors.setdefault(f"{order}.buyerIdNumber", "the check character does not match")
    for left, right, what in (
        (f"{order}.acturalPaid", f"{payment}.amountPaid", "the payment equals the order"),
        (f"{order}.payTransactionId", f"{payment}.payTransactionId", "the same payment"),
        (f"{order}.orderNo", f"{payment}.orderNo", "the same order"),
        (f"{order}.orderNo", f"{waybill}.orderNo", "the same order"),
        (f"{order}.consignee", f"{waybill}.consignee", "the waybill's consignee"),
        (f"{order}.consigneeAddress", f"{waybill}.consigneeAddress", "the waybill's address"),
        (f"{order}.consigneeTelephone", f"{waybill}.consigneeTelephone", "the waybill's phone"),
        (f"{order}.freight", f"{waybill}.freight", "the waybill's freight"),
    ):
        errors.update({k: v for k, v in _equal(data, left, right, what).items() if k not in errors})
    return errors


# United States: informal entry, type 11 -------------------------------------------------------


def build_us_type11(ctx: dict[str, Any]) -> dict[str, Any]:
    quote, lines, parcel = ctx["quote"], ctx["lines"], ctx["parcel"]
    consignee, declarant = ctx["consignee"], ctx["declarant"]
    currency = quote["customs_currency"]
    totals = quote["totals"]["customs"]
    origins = sorted({line.get("origin", "") for line in lines})
    return {
        "dataset": US_TYPE_11,
        "entry": {
            "entry_type": "11",  # block 2
            "entry_number": "",  # block 1: given by the licensed filer on transmission
            "reference": ctx["lrn"],  # block 28
            "summary_date": ctx["date"],  # block 3
            "mode_of_transport": "40",  # block 9: air
            "importing_carrier": parcel.get("carrier_code", ""),  # block 8
            "bill_of_lading": parcel.get("master_awb") or parcel["code"],  # block 12
            "house_bill": parcel["code"],
            "country_of_origin": origins[0] if len(origins) == 1 else "",  # block 10
            "country_of_export": ctx["exporter"]["country"],  # block 14
        },
        "importer_of_record": {  # blocks 26, 30
            "name": declarant["name"],
            "number": declarant.get("us_importer_number", ""),
        },
        "ultimate_consignee": {  # block 29
            "name": consignee.get("name", ""),
            "address": {
                "street": _address_line(consignee),
                "city": consignee.get("city", ""),
                "state": consignee.get("region", ""),
                "postal_code": consignee.get("postal_code", ""),
                "country": consignee.get("country", ""),
            },
        },
        "lines": [
            {
                "line_number": line["seq"],
                "description": line.get("description", ""),
                "htsus": _hs(line),
                "country_of_origin": line.get("origin", ""),
                "gross_weight_kg": line.get("gross_kg", ""),
                "quantity": line.get("quantity", ""),
                "entered_value": _money(line.get("customs_value"), currency),
                "duty_rate": (line.get("duty") or {}).get("rate", ""),
                "duty": _money((line.get("duty") or {}).get("amount"), currency),
                "additional_duties": [
                    {"rate": d.get("rate", ""), "amount": _money(d.get("amount"), currency)}
                    for d in line.get("additional_duties") or []
                ],
            }
            for line in lines
        ],
        "totals": {
            "entered_value": _money(_sum([line.get("customs_value") for line in lines]), currency),
            "duty": _money(totals.get("duty"), currency),
            "fees": _money(totals.get("fees"), currency),
            "taxes": _money(totals.get("taxes"), currency),
        },
        "quote": {
            "rules_version": quote.get("rules_version", ""),
            "quote_id": quote.get("quote_id", ""),
        },
    }


US_TYPE_11_RULES = (
    Field("entry.entry_type", codes=("11",)),
    Field("entry.entry_number", required=False, pattern=r"[A-Z0-9]{3}-?\d{7}-?\d"),
    Field("entry.reference", max_length=22),
    Field("entry.summary_date", kind="date"),
    Field(
        "entry.mode_of_transport",
        codes=("10", "11", "12", "20", "21", "30", "31", "32", "33", "34", "40", "41"),
    ),
    Field("entry.bill_of_lading", max_length=35),
    Field("entry.country_of_export", kind="country"),
    Field("importer_of_record.name", max_length=60),
    Field(
        "importer_of_record.number",
        pattern=r"\d{2}-\d{7}(\d{2})?|\d{6}-\d{5}",
        expect="an IRS number (12-3456789) or a CBP-assigned number (YYDDPP-NNNNN)",
    ),
    Field("ultimate_consignee.name", max_length=60),
    Field(
        "ultimate_consignee.address.state", pattern=r"[A-Z]{2}", expect="the state's 2-letter code"
    ),
    Field("ultimate_consignee.address.country", codes=("US",)),
    Field("lines", kind="list"),
    Field("lines[].description", max_length=200),
    Field(
        "lines[].htsus",
        pattern=r"\d{6,10}",
        expect="the HTS number (6 to 10 digits; the filer completes 10)",
    ),
    Field("lines[].country_of_origin", kind="country", expect="the goods' country of origin"),
    Field("lines[].quantity", kind="integer", positive=True),
    Field("lines[].entered_value.amount", kind="decimal"),
    Field("lines[].entered_value.currency", codes=("USD",)),
)


def _us_type11_cross(data: dict[str, Any]) -> Errors:
    total = decimal_or_none(get(data, "totals.entered_value.amount"))
    if total is not None and total > US_TYPE_11_LIMIT:
        return {
            "totals.entered_value.amount": (
                f"an informal entry (type 11) covers up to USD {US_TYPE_11_LIMIT}; this one is {total}"
            )
        }
    return {}


# WCO data model (generic) -------------------------------------------------------------------


def _amount(value: Any, currency: str) -> dict[str, str]:
    return {"value": str(value) if value not in (None, "") else "", "currencyID": currency}


def _quote_ref(quote: dict[str, Any]) -> dict[str, Any]:
    """Which quote a data set was built from."""
    return {
        "regime": (quote.get("regime") or {}).get("id", ""),
        "rules_version": quote.get("rules_version", ""),
        "quote_id": quote.get("quote_id", ""),
    }


def _wco_taxes(line: dict[str, Any], currency: str, *, is_export: bool) -> list[dict[str, Any]]:
    if is_export:
        return []
    duty = line.get("duty") or {}
    rows = []
    if duty:
        rows.append(
            {
                "TypeCode": "DUTY",
                "Rate": duty.get("rate", ""),
                "Programme": duty.get("programme") or "",
                "Amount": _amount(duty.get("amount"), currency),
            }
        )
    for tax in line.get("taxes") or []:
        rows.append(
            {
                "TypeCode": str(tax.get("kind", "")).upper(),
                "Rate": tax.get("rate", ""),
                "Programme": "",
                "Amount": _amount(tax.get("amount"), currency),
            }
        )
    return rows


def _wco_item(
    line: dict[str, Any], currency: str, value_key: str, *, is_export: bool
) -> dict[str, Any]:
    return {
        "SequenceNumeric": line["seq"],
        "StatisticalValueAmount": _amount(line.get(value_key), currency),
        "Commodity": {
            "Description": line.get("description", ""),
            "Classification": {"ID": _hs(line), "IdentificationTypeCode": "HS"},
            "GoodsMeasure": {
                "GrossMassMeasure": line.get("gross_kg", ""),
                "NetNetWeightMeasure": line.get("net_kg", ""),
                "TariffQuantity": line.get("quantity", ""),
            },
        },
        "Origin": {"CountryCode": line.get("origin", "")},
        "Packaging": {
            "QuantityQuantity": 1 if line["seq"] == 1 else 0,
            "TypeCode": "PK",
        },
        "DutyTaxFee": _wco_taxes(line, currency, is_export=is_export),
    }


def _wco_goods_shipment(ctx: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    parcel, consignee, exporter = ctx["parcel"], ctx["consignee"], ctx["exporter"]
    documents = [{"ID": parcel["code"], "TypeCode": "703"}]
    if parcel.get("master_awb"):
        documents.append({"ID": parcel["master_awb"], "TypeCode": "741"})
    return {
        "TransactionNatureCode": "11",  # outright sale
        "Consignee": {
            "Name": consignee.get("name", ""),
            "Address": {
                "Line": _address_line(consignee),
                "CityName": consignee.get("city", ""),
                "PostcodeID": consignee.get("postal_code", ""),
                "CountryCode": consignee.get("country", ""),
            },
        },
        "Buyer": {"Name": consignee.get("name", "")},
        "Seller": {"Name": exporter["name"]},
        "Consignment": {"TransportContractDocument": documents},
        "Destination": {"CountryCode": consignee.get("country", "")},
        "ExportCountry": {"ID": exporter["country"]},
        "GovernmentAgencyGoodsItem": items,
    }


def build_wco(ctx: dict[str, Any], *, kind: str = "import") -> dict[str, Any]:
    quote, lines, parcel = ctx["quote"], ctx["lines"], ctx["parcel"]
    exporter, declarant = ctx["exporter"], ctx["declarant"]
    is_export = kind == "export"
    currency = lines[0]["seller_currency"] if is_export and lines else quote["customs_currency"]
    value_key = "seller_value" if is_export else "customs_value"
    items = [_wco_item(line, currency, value_key, is_export=is_export) for line in lines]
    return {
        "dataset": WCO,
        "Declaration": {
            "FunctionCode": "9",  # original
            "FunctionalReferenceID": ctx["lrn"],  # D026, the LRN
            "TypeCode": "EX" if is_export else "IM",
            "IssueDateTime": ctx["date"],
            "GoodsItemQuantity": len(lines),
            "TotalPackageQuantity": 1,
            "TotalGrossMassMeasure": parcel["gross_kg"],
            "InvoiceAmount": _amount(_sum([line.get(value_key) for line in lines]), currency),
            "Declarant": {"Name": declarant["name"], "ID": declarant.get("eori", "")},
            "Exporter": {
                "Name": exporter["name"],
                "ID": exporter.get("tin", ""),
                "Address": {
                    "Line": ", ".join(exporter.get("address", [])[:1]),
                    "CityName": exporter.get("city", ""),
                    "CountryCode": exporter["country"],
                },
            },
            "GoodsShipment": _wco_goods_shipment(ctx, items),
        },
        "quote": _quote_ref(quote),
    }


_ITEMS = "Declaration.GoodsShipment.GovernmentAgencyGoodsItem"
WCO_RULES = (
    Field("Declaration.FunctionCode", codes=("9",)),
    Field("Declaration.FunctionalReferenceID", max_length=35),
    Field("Declaration.TypeCode", codes=("IM", "EX")),
    Field("Declaration.IssueDateTime", kind="date"),
    Field("Declaration.GoodsItemQuantity", kind="integer", positive=True),
    Field("Declaration.TotalPackageQuantity", kind="integer", positive=True),
    Field("Declaration.TotalGrossMassMeasure", kind="decimal", positive=True),
    Field("Declaration.InvoiceAmount.value", kind="decimal"),
    Field("Declaration.InvoiceAmount.currencyID", kind="currency"),
    Field("Declaration.Declarant.Name", max_length=70),
    Field("Declaration.Exporter.Name", max_length=70),
    Field("Declaration.Exporter.Address.CountryCode", kind="country"),
    Field("Declaration.GoodsShipment.Consignee.Name", max_length=70),
    Field("Declaration.GoodsShipment.Consignee.Address.CountryCode", kind="country"),
    Field("Declaration.GoodsShipment.Destination.CountryCode", kind="country"),
    Field("Declaration.GoodsShipment.Consignment.TransportContractDocument", kind="list"),
    Field(_ITEMS, kind="list"),
    Field(f"{_ITEMS}[].SequenceNumeric", kind="integer", positive=True),
    Field(f"{_ITEMS}[].StatisticalValueAmount.value", kind="decimal"),
    Field(f"{_ITEMS}[].Commodity.Description", max_length=512),
    Field(
        f"{_ITEMS}[].Commodity.Classification.ID",
        pattern=r"\d{6,10}",
        expect="6 to 10 digits of the HS code",
    ),
    Field(f"{_ITEMS}[].Commodity.GoodsMeasure.GrossMassMeasure", kind="decimal", positive=True),
    Field(f"{_ITEMS}[].Origin.CountryCode", kind="country", expect="the goods' country of origin"),
)


def _wco_cross(data: dict[str, Any]) -> Errors:
    items = get(data, _ITEMS) or []
    if str(get(data, "Declaration.GoodsItemQuantity")) != str(len(items)):
        return {"Declaration.GoodsItemQuantity": f"must equal the number of items ({len(items)})"}
    return {}


# The registry -----------------------------------------------------------------------------------

Builder = Callable[[dict[str, Any]], dict[str, Any]]
Cross = Callable[[dict[str, Any]], Errors]

DATASETS: dict[str, tuple[Builder, tuple[Field, ...], tuple[Cross, ...]]] = {
    RW_EXPORT: (build_rw_export, RW_EXPORT_RULES, (_rw_export_cross,)),
    EU_H7: (build_eu_h7, EU_H7_RULES, (_eu_h7_cross,)),
    CN_9610: (build_cn_9610, CN_9610_RULES, (_cn_9610_cross,)),
    US_TYPE_11: (build_us_type11, US_TYPE_11_RULES, (_us_type11_cross,)),
    WCO: (build_wco, WCO_RULES, (_wco_cross,)),
}


def build(dataset: str, ctx: dict[str, Any], *, kind: str = "import") -> dict[str, Any]:
    builder = DATASETS[dataset][0]
    if dataset == WCO:
        return build_wco(ctx, kind=kind)
    return builder(ctx)


def validate(data: dict[str, Any]) -> Errors:
    """The data set's field rules and cross checks: {field path: what is wrong}."""
    _builder, rules, cross = DATASETS[data["dataset"]]
    return check(data, rules, cross)
