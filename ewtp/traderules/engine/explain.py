"""A quote response as a plain-text table for people (``ewtp quote --explain``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_TOTAL_KEYS = ("goods", "shipping", "insurance", "duty", "fees", "taxes", "landed")


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], amounts_from: int = -1
) -> list[str]:
    """Aligned text columns; the columns from ``amounts_from`` on (default: the last one) hold
    amounts and are right-aligned."""
    first_amount = amounts_from % len(header)
    widths = [len(cell) for cell in header]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))

    def fmt(row: Sequence[str]) -> str:
        cells = []
        for index, cell in enumerate(row):
            if index >= first_amount:
                cells.append(cell.rjust(widths[index]))
            else:
                cells.append(cell.ljust(widths[index]))
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return [fmt(header), rule, *(fmt(row) for row in rows)]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _line_rows(line: Mapping[str, Any], currency: str) -> list[list[str]]:
    rows: list[list[str]] = [["customs value", "", "", line["customs_value"]]]
    duty = line.get("duty")
    if duty is None:
        rows.append(["duty", "unknown", "no tariff line", "?"])
    else:
        basis = duty.get("programme") or duty.get("treatment") or "mfn"
        detail = f"tariff {duty['tariff_code']}" if duty.get("tariff_code") else ""
        sources = f"[{duty['source']}]" if duty.get("source") else ""
        rows.append(
            ["duty", f"{duty['rate']} ({basis})", f"{detail} {sources}".strip(), duty["amount"]]
        )
    for item in line.get("additional_duties", ()):
        rows.append(
            [
                "additional duty",
                f"{item['measure']} {item['rate']}",
                f"[{item['source']}]",
                item["amount"],
            ]
        )
    for item in line.get("fees", ()):
        in_base = "in tax base" if item.get("in_tax_base") else "not in tax base"
        rows.append(
            [
                "fee",
                f"{item['fee']} {item['rate']}",
                f"{in_base} [{item['source']}]",
                item["amount"],
            ]
        )
    for item in line.get("taxes", ()):
        factor = f" x {item['factor']}" if item.get("factor") not in (None, "1") else ""
        rows.append(
            [
                "tax",
                f"{item['kind']} {item['rate']}{factor}",
                f"on {item['base']} {currency} [{item['source']}]",
                item["amount"],
            ]
        )
    return rows


def explain_table(response: Mapping[str, Any]) -> str:
    """Render a quote response (the dict ``quote`` returns) as a readable table."""
    customs = response["customs_currency"]
    display = response["currency"]
    regime = response["regime"]
    out: list[str] = [
        f"Quote {response['quote_id']}  rules {response['rules_version']}  "
        f"{'complete' if response['complete'] else 'INCOMPLETE'}",
        f"{response['origin']} -> {response['destination']} (territory {response['territory']}) "
        f"on {response['date']}, {response['incoterm']}, customs currency {customs}",
        "",
        f"Regime: {regime['id']} - {regime['name']}",
        f"  why: {regime['why']}",
        "",
    ]
    for line in response["lines"]:
        out.append(
            f"Line {line['id']}  HS {line.get('hs_code', '')}  origin {line.get('origin', '')}"
        )
        out.extend(
            "  " + row
            for row in _table(["item", "rate", "basis", customs], _line_rows(line, customs))
        )
        out.append("")
    if response.get("consignment_duties"):
        rows = [
            [item["kind"], f"{item.get('count', '')} distinct subheading(s)", item["amount"]]
            for item in response["consignment_duties"]
        ]
        out.append("Consignment duties")
        out.extend("  " + row for row in _table(["kind", "applies to", customs], rows))
        out.append("")

    if response.get("consignment_fees"):
        out.append("Consignment fees")
        rows = [
            [
                item["fee"],
                item.get("rate") or item.get("flat") or "",
                item.get("bound", ""),
                item["amount"],
            ]
            for item in response["consignment_fees"]
        ]
        out.extend("  " + row for row in _table(["fee", "rate", "bound", customs], rows))
        out.append("")
    totals = response["totals"]
    if display == customs:
        header = ["total", customs]
        rows = [[key, totals["customs"][key]] for key in _TOTAL_KEYS]
    else:
        header = ["total", customs, display]
        rows = [[key, totals["customs"][key], totals["display"][key]] for key in _TOTAL_KEYS]
    out.append("Totals")
    out.extend("  " + row for row in _table(header, rows, amounts_from=1))
    checkout = response["payable_at_checkout"]
    delivery = response["payable_on_delivery"]
    out.append(
        f"  payable at checkout {checkout['amount']} {checkout['currency']}, "
        f"on delivery {delivery['amount']} {delivery['currency']}"
    )
    out.append("")

    if response.get("fx"):
        out.append("Exchange rates")
        out.extend(
            f"  1 {item['from']} = {item['rate']} {item['to']}  ({item['date']}, {item['source']})"
            for item in response["fx"]
        )
        out.append("")
    for title, key in (("Notes", "notes"), ("Warnings", "warnings")):
        if response.get(key):
            out.append(title)
            out.extend(f"  {item['code']}: {item['message']}" for item in response[key])
            out.append("")
    documents = response.get("documents_required") or []
    out.append("Documents required: " + (", ".join(documents) if documents else "none"))
    out.append(f"Valid until {response['expires_at']}")
    return "\n".join(_text(item) for item in out) + "\n"
