"""What an officer reads on a declaration: its item lines (description, HS code, origin,
quantity, value, weight, the duty and taxes the quote worked out for each) and the duty and
taxes that the order's stored quote had the buyer pay at checkout or leaves due on delivery.

Read only: everything comes from the order as fixed at checkout (its quote, its lines) and
the parcel as packed, never from today's rules.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from ewtp.core import wording
from ewtp.core.countries import country_name
from ewtp.core.money import Money
from ewtp.customs.dossier import order_lines_for
from ewtp.customs.models import Declaration


@dataclass(frozen=True)
class ItemRow:
    seq: int
    description: str
    hs_code: str
    origin: str
    quantity: int
    value: Money
    weight_kg: str
    duty: Money | None  # None: the quote could not work it out
    duty_rate: str
    taxes: Money | None


@dataclass(frozen=True)
class ChargeRow:
    label: str
    customs: Money | None  # in the customs currency, as the quote worked it out
    charged: Money | None  # in the buyer's currency, as the order charged it


@dataclass(frozen=True)
class Items:
    rows: list[ItemRow]
    total_value: Money
    total_weight_kg: str
    charges: list[ChargeRow]
    incoterm: str  # DDP or DAP
    incoterm_text: str
    paid_at_checkout: Money
    due_on_delivery: Money
    is_complete: bool


def _money(amount: Any, currency: str) -> Money | None:
    if amount in (None, ""):
        return None
    try:
        return Money.of(str(amount), currency)
    except (InvalidOperation, ValueError, TypeError):
        return None


def _hs(code: str) -> str:
    digits = "".join(ch for ch in code if ch.isdigit())
    return f"{digits[:4]}.{digits[4:6]}{('.' + digits[6:]) if len(digits) > 6 else ''}"


def _line_taxes(line: dict[str, Any], currency: str) -> Money | None:
    taxes = [_money(tax.get("amount"), currency) for tax in line["taxes"]]
    known = [tax for tax in taxes if tax is not None]
    if not known:
        return None
    return Money.of(sum((tax.amount for tax in known), Decimal(0)), currency)


def _row(line: dict[str, Any], kind: str, customs_currency: str) -> ItemRow:
    duty = line["duty"] or {}
    if kind == Declaration.Kind.EXPORT:
        value = Money.of(line["seller_value"], line["seller_currency"])
    else:
        value = Money.of(line["goods_value"], customs_currency)
    return ItemRow(
        seq=line["seq"],
        description=line["description"],
        hs_code=_hs(line["hs_code"]),
        origin=country_name(line["origin"]),
        quantity=line["quantity"],
        value=value,
        weight_kg=line["net_kg"],
        duty=_money(duty.get("amount"), customs_currency) if duty else None,
        duty_rate=str(duty.get("rate") or ""),
        taxes=_line_taxes(line, customs_currency),
    )


def _tax_rows(lines: list[dict[str, Any]], currency: str) -> list[ChargeRow]:
    by_kind: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in lines:
        for tax in line["taxes"]:
            money = _money(tax.get("amount"), currency)
            if money is not None:
                by_kind[(str(tax.get("kind", "")), str(tax.get("rate", "")))] += money.amount
    rows = []
    for (kind, rate), total in by_kind.items():
        name = wording.tax_name(kind)
        text = f"{name} ({_percent(rate)})" if rate else name
        rows.append(ChargeRow(text, Money.of(total, currency), None))
    return rows


def _percent(rate: str) -> str:
    try:
        value = Decimal(rate) * 100
    except (InvalidOperation, ValueError):
        return rate
    return f"{value.normalize():f}%"


def _charges(declaration: Declaration, lines: list[dict[str, Any]]) -> list[ChargeRow]:
    order = declaration.order
    quote = order.quote or {}
    currency = str(quote.get("customs_currency") or order.currency)
    customs = (quote.get("totals") or {}).get("customs") or {}
    buyer = order.currency
    rows = [
        ChargeRow(
            _("Goods"),
            _money(customs.get("goods"), currency),
            Money.from_minor(order.goods_minor, buyer),
        ),
        ChargeRow(
            _("Shipping"),
            _money(customs.get("shipping"), currency),
            Money.from_minor(order.shipping_minor, buyer),
        ),
        ChargeRow(
            _("Duty"),
            _money(customs.get("duty"), currency),
            Money.from_minor(order.duty_minor, buyer),
        ),
        ChargeRow(
            _("Taxes"),
            _money(customs.get("taxes"), currency),
            Money.from_minor(order.taxes_minor, buyer),
        ),
    ]
    for extra in quote.get("consignment_duties") or []:
        rows.insert(
            3,
            ChargeRow(
                "· " + wording.sentence(str(extra.get("kind", ""))),
                _money(extra.get("amount"), currency),
                None,
            ),
        )
    return rows + [
        ChargeRow("· " + row.label, row.customs, None) for row in _tax_rows(lines, currency)
    ]


def declaration_items(declaration: Declaration) -> Items:
    """The declaration's item lines and the charges of its order, in words and money."""
    order = declaration.order
    quote = order.quote or {}
    customs_currency = str(quote.get("customs_currency") or order.currency)
    lines = order_lines_for(order, declaration.parcel)
    rows = [_row(line, declaration.kind, customs_currency) for line in lines]
    currency = rows[0].value.currency if rows else declaration.currency
    weight = sum((Decimal(line["net_kg"]) for line in lines), Decimal(0))
    if order.incoterm == "DDP":
        incoterm_text = _("Duties and taxes paid: the buyer paid them at checkout.")
    else:
        incoterm_text = _(
            "Delivered at place: the buyer pays the duties and taxes not collected at checkout "
            "on delivery."
        )
    return Items(
        rows=rows,
        total_value=Money.of(sum((row.value.amount for row in rows), Decimal(0)), currency),
        total_weight_kg=f"{weight:.3f}",
        charges=_charges(declaration, lines),
        incoterm=order.incoterm,
        incoterm_text=incoterm_text,
        paid_at_checkout=Money.from_minor(order.total_minor, order.currency),
        due_on_delivery=Money.from_minor(order.on_delivery_minor, order.currency),
        is_complete=order.is_quote_complete,
    )
