"""The changes between two rule versions in words, for the steward's pages: "VAT on coffee into
Belgium: 21% → 6%" rather than a row key and a column name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ewtp.core.countries import country_name
from ewtp.traderules.models import Tax, Territory
from ewtp.traderules.rates import PERCENT_COLUMNS, percent_label
from ewtp.traderules.selectors.hs import hs_describe
from ewtp.traderules.services.validation import EDITABLE_MODELS

_SHORT = 70


def _goods(prefix: str) -> str:
    if not prefix or prefix in ("*", "-"):
        return _("all goods")
    description = hs_describe(prefix).replace("; ", ", ").strip()
    if not description:
        return _("HS %(code)s") % {"code": prefix}
    if len(description) > _SHORT:
        description = description[: _SHORT - 1].rstrip(" ,") + "…"
    if len(description) > 1 and description[1].islower():
        description = description[0].lower() + description[1:]
    return f"{description} (HS {prefix})"


def _place(code: str, territories: Mapping[str, str]) -> str:
    if len(code) == 2:
        name = country_name(code, get_language() or "en")
        if name != code:
            return name
    return territories.get(code, code)


def _subject(table: str, key: dict[str, str], territories: Mapping[str, str]) -> str:
    """What a row is about, in words."""
    place = _place(key.get("territory") or key.get("country") or "", territories)
    if table == "taxes":
        kind = key.get("kind", "")
        label = str(Tax.Kind(kind).label) if kind in Tax.Kind.values else kind
        return _("%(tax)s on %(goods)s into %(place)s") % {
            "tax": label,
            "goods": _goods(key.get("hs_prefix", "")),
            "place": place,
        }
    if table == "tariff_lines":
        return _("Duty on %(goods)s into %(place)s") % {
            "goods": _goods(key.get("code", "")),
            "place": place,
        }
    if table == "preferences":
        return _("Preference %(programme)s into %(place)s") % {
            "programme": key.get("programme", ""),
            "place": place,
        }
    if table == "additional_duties":
        return _("Additional duty %(measure)s into %(place)s") % {
            "measure": key.get("measure", ""),
            "place": place,
        }
    if table == "fees":
        return _("Fee %(fee)s in %(place)s") % {"fee": key.get("fee", ""), "place": place}
    if table == "territories":
        return _("Territory %(place)s") % {"place": place}
    if table == "documents":
        return _("Document %(document)s for %(goods)s into %(place)s") % {
            "document": key.get("document", ""),
            "goods": _goods(key.get("hs_prefix", "")),
            "place": place,
        }
    if table == "regimes":
        return _("Low-value regime %(regime)s of %(place)s") % {
            "regime": key.get("id", ""),
            "place": place,
        }
    return _("Source %(code)s") % {"code": " ".join(key.values())}


def _value(table: str, column: str, value: str) -> str:
    if column in PERCENT_COLUMNS.get(table, ()):
        return percent_label(value) or "\u2013"
    return value or "\u2013"


def _column_label(table: str, column: str) -> str:
    model = EDITABLE_MODELS[table]
    try:
        field = model._meta.get_field(model.field_name(column))
    except Exception:  # a column without a field of its own (regime cells)
        return column.replace("_", " ")
    return str(getattr(field, "verbose_name", column))


def _start(key: dict[str, str]) -> str:
    start = key.get("valid_from", "")
    return _(" (from %(date)s)") % {"date": start} if start and start != "-" else ""


def describe_changes(changes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per changed row: ``{"change", "subject", "lines"}``, each line a sentence
    with the old and the new value side by side (rows of the schedules' own counters are
    left out: they repeat the tariff lines)."""
    territories = dict(Territory.objects.values_list("territory", "name"))
    described: list[dict[str, Any]] = []
    for table, counts in changes.items():
        if table not in EDITABLE_MODELS:
            continue
        model = EDITABLE_MODELS[table]
        for item in counts.get("rows", ()):
            words = str(item.get("key", "")).split(" ")
            key = dict(zip(model.KEY, words, strict=False)) if len(words) == len(model.KEY) else {}
            subject = _subject(table, key, territories) if key else str(item.get("key", ""))
            subject += _start(key)
            lines = []
            for column, pair in (item.get("fields") or {}).items():
                old, new = _value(table, column, pair[0]), _value(table, column, pair[1])
                if column in PERCENT_COLUMNS.get(table, ()):
                    lines.append({"label": "", "old": old, "new": new})
                else:
                    lines.append({"label": _column_label(table, column), "old": old, "new": new})
            described.append(
                {"change": item.get("change"), "subject": subject, "lines": lines, "table": table}
            )
    return described
