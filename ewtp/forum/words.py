"""A proposal's row changes in plain words ("VAT on roasted coffee into Belgium: 21% -> 6%,
from 2027-01-01")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ewtp.core.countries import country_name
from ewtp.forum.changes import ADD, REPLACE, fields_changed
from ewtp.traderules.selectors.hs import hs_describe

_RATE_COLUMNS = {"rate", "ad_valorem", "mfn_ad_valorem"}


def _table(table: str) -> str:
    names = {
        "territories": _("Territory"),
        "tariff_lines": _("Tariff line"),
        "preferences": _("Preference"),
        "additional_duties": _("Additional duty"),
        "taxes": _("Tax"),
        "fees": _("Fee"),
        "documents": _("Document"),
        "sources": _("Source"),
        "regimes": _("Low-value regime"),
    }
    return str(names.get(table, table))


def _value(column: str, value: Any) -> str:
    if value in (None, ""):
        return _("none")
    if column in _RATE_COLUMNS:
        try:
            return f"{(Decimal(str(value)) * 100).normalize():f}%"
        except InvalidOperation:
            return str(value)
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _goods(prefix: str) -> str:
    if not prefix or prefix == "*":
        return _("all goods")
    described = hs_describe(prefix) if len(prefix) >= 2 else ""
    return f"{described.rstrip('.').lower() or prefix} (HS {prefix})"


def _subject(change: dict[str, Any], language: str) -> str:
    row = change.get("after") or change.get("before") or {}
    table = change["table"]
    if table == "taxes":
        return _("%(kind)s on %(goods)s into %(country)s") % {
            "kind": str(row.get("kind", "")).upper(),
            "goods": _goods(str(row.get("hs_prefix", ""))),
            "country": country_name(str(row.get("country", "")), language),
        }
    if table == "tariff_lines":
        return _("Duty on %(goods)s into %(territory)s") % {
            "goods": _goods(str(row.get("code", ""))),
            "territory": row.get("territory", ""),
        }
    if table == "regimes":
        return _("Low-value regime %(id)s of %(territory)s") % {
            "id": row.get("id", ""),
            "territory": row.get("territory", ""),
        }
    return f"{_table(table)} {change['key']}"


def describe(change: dict[str, Any], effective: date, language: str = "") -> str:
    language = language or get_language() or "en"
    subject = _subject(change, language)
    when = effective.isoformat()
    if change["op"] == ADD:
        return _("%(subject)s: new rule, from %(date)s") % {"subject": subject, "date": when}
    if change["op"] != REPLACE:
        return _("%(subject)s: retired, from %(date)s") % {"subject": subject, "date": when}
    parts = []
    for column, old, new in fields_changed(change):
        shown = f"{_value(column, old)} -> {_value(column, new)}"
        parts.append(shown if column in _RATE_COLUMNS else f"{column} {shown}")
    return _("%(subject)s: %(what)s, from %(date)s") % {
        "subject": subject,
        "what": "; ".join(parts),
        "date": when,
    }


def describe_changes(
    changes: Sequence[dict[str, Any]], effective: date, language: str = ""
) -> list[str]:
    return [describe(change, effective, language) for change in changes]
