"""Printed papers of a parcel: the commercial invoice, the CN 22 or CN 23 postal customs form,
the origin statement (text) and a declaration's data set as a file. In English, the language
the forms are completed in for carriers and customs along the route (UPU allows English or
French); built from the papers, so every figure is the stored order's."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from ewtp.core import clock
from ewtp.core.countries import country_name
from ewtp.core.money import Money
from ewtp.core.pdf import pdf_from_template
from ewtp.customs.dossier import Papers
from ewtp.orders.addresses import address_lines


def _money(amount: Any, currency: str) -> Money:
    return Money.of(str(amount or "0"), currency).rounded()


def _base(papers: Papers) -> dict[str, Any]:
    context = papers.context
    quote = context["quote"]
    ship_to = {**papers.parcel.ship_to, "country": context["consignee"]["country"]}
    return {
        "papers": papers,
        "parcel": papers.parcel,
        "order": papers.order,
        "quote": quote,
        "exporter": context["exporter"],
        "declarant": context["declarant"],
        "consignee": context["consignee"],
        "to_lines": [
            country_name(line) if line == ship_to["country"] else line
            for line in address_lines(ship_to)
        ],
        "exporter_lines": [context["exporter"]["name"], *context["exporter"]["address"]],
        "lines": papers.invoice_lines,
        "customs_currency": quote.get("customs_currency", ""),
        "printed_at": clock.now(),
        "origin_statement": papers.origin_statement,
        # IOSS only where the regime collected the VAT at checkout (EU, up to EUR 150).
        "is_ioss": (quote.get("regime") or {}).get("taxes_collected_at") == "checkout"
        and quote.get("territory") == "EU",
    }


def invoice_context(papers: Papers) -> dict[str, Any]:
    context = _base(papers)
    quote = context["quote"]
    currency = papers.order.currency
    display = (quote.get("totals") or {}).get("display") or {}
    customs = (quote.get("totals") or {}).get("customs") or {}
    customs_currency = context["customs_currency"]
    keys = ("goods", "shipping", "insurance", "duty", "fees", "taxes", "landed")
    context.update(
        {
            "number": f"INV-{papers.order.reference}",
            "totals": [(key, _money(display.get(key), currency)) for key in keys],
            "customs_totals": [(key, _money(customs.get(key), customs_currency)) for key in keys],
            "payable_at_checkout": quote.get("payable_at_checkout") or {},
            "payable_on_delivery": quote.get("payable_on_delivery") or {},
            "currency": currency,
        }
    )
    return context


def commercial_invoice_pdf(papers: Papers) -> bytes:
    with translation.override("en"):
        return pdf_from_template("customs/documents/invoice.html", invoice_context(papers))


def postal_form_context(papers: Papers) -> dict[str, Any]:
    context = _base(papers)
    form = papers.postal_form
    assert form is not None
    currency = context["customs_currency"]
    context.update(
        {
            "form": form,
            "items": [
                {
                    **line,
                    "value": _money(line["goods_value"], currency),
                }
                for line in papers.context["lines"]
            ],
            "total_value": form.value,
            "shipping": _money(
                ((context["quote"].get("totals") or {}).get("customs") or {}).get("shipping"),
                currency,
            ),
            "invoice_number": f"INV-{papers.order.reference}",
            "certificate": "origin statement on the invoice" if papers.origin_statement else "",
        }
    )
    return context


def postal_form_pdf(papers: Papers) -> bytes:
    """CN 22 (contents up to 300 SDR) or CN 23 (above), as the papers chose."""
    assert papers.postal_form is not None
    template = (
        "customs/documents/cn22.html"
        if papers.postal_form.name == "CN 22"
        else "customs/documents/cn23.html"
    )
    with translation.override("en"):
        return pdf_from_template(template, postal_form_context(papers))


def origin_statement_text(papers: Papers) -> str:
    if not papers.origin_statement:
        return ""
    header = (
        f"Origin statement - order {papers.order.reference}, parcel {papers.parcel.code}\n"
        f"Invoice INV-{papers.order.reference}, {clock.today().isoformat()}\n\n"
    )
    return header + papers.origin_statement + "\n"
