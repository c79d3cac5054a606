"""Pages of trade rules: the public rules browser and quote calculator, the version history,
the steward's working copy and publishing, and the operator's exchange-rate entry.

htmx requests get a template partial (``{% partialdef %}``); full requests get the page, so
every page also works without JavaScript.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from ewtp.core import clock, conf
from ewtp.core.countries import country_name
from ewtp.core.errors import DomainError
from ewtp.core.money import Money
from ewtp.traderules.errors import QuoteRejectedError
from ewtp.traderules.extensions import rules_choices
from ewtp.traderules.forms import (
    ExchangeRateForm,
    PublishForm,
    SchedulePublishForm,
    ScheduleUploadForm,
    row_form_class,
)
from ewtp.traderules.models import ExchangeRate, PublicationRequest, RuleRow, Source
from ewtp.traderules.rates import PERCENT_COLUMNS, percent_label
from ewtp.traderules.selectors import coverage as selectors_coverage
from ewtp.traderules.selectors import published
from ewtp.traderules.selectors.changes import describe_changes
from ewtp.traderules.selectors.hs import hs_describe, hs_search, hs_search_page
from ewtp.traderules.selectors.permissions import can_enter_rates, can_steward
from ewtp.traderules.selectors.published import (
    exchange_rate_list,
    latest_rates,
    stale_currencies,
    tariff_line_search,
    territory_rules,
    version_get,
)
from ewtp.traderules.selectors.snapshot import current_rules, national_choices, quote_compute
from ewtp.traderules.services.edits import (
    rule_row_delete,
    rule_row_save,
    rules_working_copy_reset,
    working_copy_content,
)
from ewtp.traderules.services.fx import fx_rate_enter
from ewtp.traderules.services.publication import (
    may_approve,
    publication_approve,
    publication_effects,
    publication_request,
    publication_withdraw,
)
from ewtp.traderules.services.schedules import (
    schedule_list,
    schedule_update_check,
    schedule_update_publish,
    upload_read,
    upload_save,
)
from ewtp.traderules.services.validation import EDITABLE_MODELS
from ewtp.traderules.services.versions import _key, changes_between

MAX_LINES = 100
PER_PAGE = 25


def _partial(
    request: HttpRequest, template: str, part: str, context: dict[str, Any]
) -> HttpResponse:
    """The named partial for htmx, the whole page otherwise."""
    if getattr(request, "htmx", False):
        return render(request, f"{template}#{part}", context)
    return render(request, template, context)


def _page(
    items: Any, request: HttpRequest, name: str = "page", per_page: int = PER_PAGE
) -> Page[Any]:
    return Paginator(items, per_page).get_page(request.GET.get(name))


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)


# Describing regimes for people ---------------------------------------------------------------


def describe_conditions(conditions: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    if conditions.get("buyer_kind"):
        out.append(_("the buyer is a %(kind)s") % {"kind": conditions["buyer_kind"]})
    threshold = conditions.get("value_threshold")
    if isinstance(threshold, Mapping):
        on = _("customs value") if threshold.get("on") == "customs" else _("goods value")
        out.append(
            _("%(on)s ≤ %(amount)s %(currency)s")
            % {"on": on, "amount": threshold.get("amount"), "currency": threshold.get("currency")}
        )
    cap = conditions.get("annual_cap")
    if isinstance(cap, Mapping):
        out.append(
            _("this year's purchases plus this one ≤ %(amount)s %(currency)s")
            % {"amount": cap.get("amount"), "currency": cap.get("currency")}
        )
    if conditions.get("positive_list") is not None:
        out.append(
            _("every line's HS code starts with one of: %(list)s")
            % {"list": ", ".join(conditions["positive_list"])}
        )
    if conditions.get("excluded_prefixes"):
        out.append(
            _("no line's HS code starts with: %(list)s")
            % {"list": ", ".join(conditions["excluded_prefixes"])}
        )
    if conditions.get("excluded_origins"):
        out.append(
            _("no line originates in: %(list)s")
            % {"list": ", ".join(conditions["excluded_origins"])}
        )
    return out


def describe_treatment(treatment: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    duty = treatment.get("duty", "standard")
    if isinstance(duty, Mapping) and isinstance(duty.get("flat_per_hs6"), Mapping):
        flat = duty["flat_per_hs6"]
        out.append(
            _("duty: %(amount)s %(currency)s for each distinct 6-digit subheading")
            % {"amount": flat.get("amount"), "currency": flat.get("currency")}
        )
    elif duty == "exempt":
        out.append(_("duty: exempt"))
    else:
        out.append(_("duty: the standard tariff"))
    base = treatment.get("tax_base", "standard")
    bases = {
        "standard": _("customs value plus duty and fees"),
        "goods": _("the goods value"),
        "supply": _("goods, shipping and insurance"),
    }
    out.append(_("taxes on %(base)s") % {"base": bases.get(str(base), str(base))})
    if str(treatment.get("tax_factor", "1")) not in ("1", "1.0"):
        out.append(_("taxes multiplied by %(factor)s") % {"factor": treatment["tax_factor"]})
    override = treatment.get("tax_override")
    if isinstance(override, Mapping):
        out.append(
            _("%(kind)s at %(rate)s replaces the country's taxes")
            % {"kind": override.get("kind"), "rate": override.get("rate")}
        )
    if treatment.get("taxes_collected_at") == "checkout":
        out.append(_("taxes collected at checkout"))
    else:
        out.append(_("taxes collected at the border"))
    return out


# Public pages -------------------------------------------------------------------------------


@require_GET
def rules_home(request: HttpRequest) -> HttpResponse:
    rules = current_rules()
    territories = published.territory_list()
    language = _language(request)
    for territory in territories:
        territory["member_names"] = [country_name(code, language) for code in territory["members"]]
    return render(
        request,
        "traderules/home.html",
        {
            "rules": rules,
            "territories": territories,
            "can_steward": can_steward(request.user),
            "can_enter_rates": can_enter_rates(request.user),
        },
    )


def _on_date(request: HttpRequest) -> date | None:
    text = request.GET.get("on", "").strip()
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _status(row: Mapping[str, Any], today: str) -> str:
    start, end = row.get("valid_from") or "", row.get("valid_to") or ""
    if start and start > today:
        return "future"
    if end and end < today:
        return "expired"
    return "in_force"


@require_GET
def coverage_page(request: HttpRequest) -> HttpResponse:
    """Per destination: HS 2022 subheadings quoted complete, needing a national code or
    unknown, with the date of the tariff schedule behind them (or the plain word that only
    curated lines exist)."""
    rules = current_rules()
    figures = selectors_coverage.coverage()["destinations"]
    curated = selectors_coverage.curated_line_counts(rules)
    language = _language(request)
    rows = []
    for row in figures:
        total = row["subheadings"] or 1
        rows.append(
            {
                **row,
                "name": country_name(row["destination"], language),
                "complete_percent": round(100 * row["complete"] / total, 1),
                "national_percent": round(100 * row["national_code_needed"] / total, 1),
                "unknown_percent": round(100 * row["unknown"] / total, 1),
                "curated_lines": curated.get(row["territory"] or "", 0),
            }
        )
    thin = [row for row in rows if not row["schedule_date"]]
    return render(
        request,
        "traderules/coverage.html",
        {"rules": rules, "rows": rows, "thin": thin, "price": selectors_coverage.PRICE},
    )


@require_GET
def territory_detail(request: HttpRequest, code: str) -> HttpResponse:
    day = _on_date(request)
    found = territory_rules(code, day=day)
    if found is None:
        raise Http404("no such territory")
    today = clock.today().isoformat()
    query = request.GET.get("q", "").strip()[:100]
    lines = tariff_line_search(found["tariff_lines"], query)
    for row in lines:
        row["status"] = _status(row, today)
        row["hs_description"] = hs_describe(row["code"])
    for table in ("preferences", "additional_duties", "taxes", "fees"):
        for row in found[table]:
            row["status"] = _status(row, today)
    tariff_page = _page(lines, request, "tl_page")
    taxes_page = _page(found["taxes"], request, "tax_page")
    regimes = [
        {
            **regime,
            "status": _status(regime, today),
            "condition_texts": describe_conditions(regime.get("conditions") or {}),
            "treatment_texts": describe_treatment(regime.get("treatment") or {}),
        }
        for regime in found["regimes"]
    ]
    context = {
        "found": found,
        "territory": found["territory"],
        "member_names": [(c, country_name(c, _language(request))) for c in found["members"]],
        "regimes": regimes,
        "tariff_page": tariff_page,
        "taxes_page": taxes_page,
        "query": query,
        "day": day,
        "today": today,
        "rules": current_rules(),
    }
    if getattr(request, "htmx", False) and request.GET.get("part") == "tariff_lines":
        return render(request, "traderules/territory.html#tariff_lines", context)
    return render(request, "traderules/territory.html", context)


@require_GET
def source_list(request: HttpRequest) -> HttpResponse:
    rules = current_rules()
    query = request.GET.get("q", "").strip()[:100]
    rows = rules.table("sources")
    if query:
        folded = query.casefold()
        rows = [r for r in rows if folded in " ".join(r.values()).casefold()]
    return render(
        request,
        "traderules/sources.html",
        {"page_obj": _page(rows, request, per_page=50), "query": query, "rules": rules},
    )


@require_GET
def source_detail(request: HttpRequest, code: str) -> HttpResponse:
    rules = current_rules()
    source = rules.sources().get(code)
    if source is None:
        raise Http404("no such source")
    used: list[tuple[str, str]] = []
    for table in ("territories", "tariff_lines", "preferences", "additional_duties", "taxes"):
        for row in rules.table(table):
            if code in row.get("source", "").split(";"):
                used.append((table, _key(table, row)))
    for table in ("fees", "documents"):
        for row in rules.table(table):
            if code in row.get("source", "").split(";"):
                used.append((table, _key(table, row)))
    for territory, items in rules.regimes():
        for item in items:
            if code in str(item.get("source", "")).split(";"):
                used.append(("regimes", f"{territory} {item.get('id')}"))
    return render(
        request,
        "traderules/source.html",
        {"source": source, "used_page": _page(used, request, per_page=50), "rules": rules},
    )


@require_GET
def hs_browse(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    found = hs_search_page(query, page=page, per_page=PER_PAGE) if query else None
    return _partial(request, "traderules/hs.html", "results", {"query": query, "found": found})


# The quote calculator -----------------------------------------------------------------------

_LINE_FIELDS = ("hs_code", "description", "quantity", "price", "price_currency", "weight", "origin")
_LINE_KEY = re.compile(r"^line-(\d+)-hs_code$")
_ERROR_TOP = {
    "origin": "origin",
    "destination": "destination",
    "date": "date",
    "currency": "currency",
    "incoterm": "incoterm",
    "buyer": "buyer_kind",
    "buyer.kind": "buyer_kind",
    "proof_of_origin": "proof_of_origin",
    "shipping": "shipping",
    "insurance": "insurance",
    "lines": "lines",
}
_ERROR_LINE = {
    "hs_code": "hs_code",
    "quantity": "quantity",
    "unit_price": "price",
    "unit_weight_kg": "weight",
    "origin": "origin",
    "description": "description",
}


def _blank_line(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "hs_code": "",
        "description": "",
        "quantity": "1",
        "price": "",
        "price_currency": values.get("shipping_currency") or "RWF",
        "weight": "",
        "origin": "",
        "errors": {},
    }


def _initial_values(request: HttpRequest) -> dict[str, Any]:
    preferences = getattr(request, "preferences", None)
    values: dict[str, Any] = {
        "origin": "RW",
        "destination": getattr(preferences, "destination", "") or "BE",
        "date": "",
        "currency": getattr(preferences, "currency", "") or "",
        "incoterm": "DDP",
        "buyer_kind": "consumer",
        "cbec_used": "",
        "proof_of_origin": True,
        "shipping_amount": "",
        "shipping_currency": "RWF",
        "insurance_amount": "",
        "insurance_currency": "RWF",
    }
    values["lines"] = [_blank_line(values)]
    return values


def _posted_values(data: Mapping[str, str]) -> dict[str, Any]:
    def get(name: str, default: str = "") -> str:
        return str(data.get(name, default)).strip()[:200]

    values: dict[str, Any] = {
        "origin": get("origin").upper(),
        "destination": get("destination").upper(),
        "date": get("date"),
        "currency": get("currency").upper(),
        "incoterm": get("incoterm", "DDP"),
        "rules": get("rules"),
        "buyer_kind": get("buyer_kind", "consumer"),
        "cbec_used": get("cbec_used"),
        "proof_of_origin": data.get("proof_of_origin") in ("on", "true", "1"),
        "shipping_amount": get("shipping_amount"),
        "shipping_currency": get("shipping_currency", "RWF").upper(),
        "insurance_amount": get("insurance_amount"),
        "insurance_currency": get("insurance_currency", "RWF").upper(),
    }
    indices = sorted(
        {int(m.group(1)) for key in data if (m := _LINE_KEY.match(key)) and len(m.group(1)) < 4}
    )[:MAX_LINES]
    lines = []
    for index in indices:
        line: dict[str, Any] = {name: get(f"line-{index}-{name}") for name in _LINE_FIELDS}
        line["origin"] = line["origin"].upper()
        line["price_currency"] = line["price_currency"].upper() or "RWF"
        line["errors"] = {}
        lines.append(line)
    values["lines"] = lines
    return values


def _is_blank(line: Mapping[str, Any]) -> bool:
    return not (line["hs_code"] or line["price"] or line["description"] or line["weight"])


def _quote_request(values: Mapping[str, Any]) -> dict[str, Any]:
    """The engine's request from the form's strings; the engine validates every field."""
    request: dict[str, Any] = {
        "origin": values["origin"],
        "destination": values["destination"],
        "incoterm": values["incoterm"],
        "buyer": {"kind": values["buyer_kind"]},
        "proof_of_origin": values["proof_of_origin"],
    }
    if values["date"]:
        request["date"] = values["date"]
    if values.get("rules"):
        request["rules"] = values["rules"]
    if values["currency"]:
        request["currency"] = values["currency"]
    if values["cbec_used"]:
        request["buyer"]["cbec_used_this_year"] = {"amount": values["cbec_used"], "currency": "CNY"}
    for name in ("shipping", "insurance"):
        if values[f"{name}_amount"]:
            request[name] = {
                "amount": values[f"{name}_amount"],
                "currency": values[f"{name}_currency"],
            }
    lines = []
    for number, line in enumerate(values["lines"], start=1):
        quantity: Any = line["quantity"]
        if quantity.isdigit() and len(quantity) < 10:
            quantity = int(quantity)
        item: dict[str, Any] = {
            "id": str(number),
            "hs_code": line["hs_code"],
            "quantity": quantity,
            "unit_price": {"amount": line["price"], "currency": line["price_currency"]},
        }
        if line["weight"]:
            item["unit_weight_kg"] = line["weight"]
        if line["origin"]:
            item["origin"] = line["origin"]
        if line["description"]:
            item["description"] = line["description"]
        lines.append(item)
    request["lines"] = lines
    return request


def _place_errors(values: dict[str, Any], fields: Mapping[str, str]) -> dict[str, str]:
    """Put the engine's field errors next to the inputs; returns the top-level ones."""
    top: dict[str, str] = {}
    for path, message in fields.items():
        parts = path.split(".")
        if parts[0] == "lines" and len(parts) >= 2 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(values["lines"]):
                name = _ERROR_LINE.get(parts[2], "line") if len(parts) > 2 else "line"
                values["lines"][index]["errors"][name] = message
                continue
        key = (
            _ERROR_TOP.get(path) or _ERROR_TOP.get(".".join(parts[:2])) or _ERROR_TOP.get(parts[0])
        )
        if path.startswith("buyer.cbec_used_this_year"):
            key = "cbec_used"
        top[key or "general"] = message
    return top


def _bar(response: Mapping[str, Any]) -> list[dict[str, str]]:
    """The landed price split into goods, shipping, duty, taxes and fees (percent widths)."""
    display = response["totals"]["display"]
    try:
        landed = Decimal(display["landed"])
        parts = [
            ("goods", _("Goods"), Decimal(display["goods"])),
            (
                "shipping",
                _("Shipping and insurance"),
                Decimal(display["shipping"]) + Decimal(display["insurance"]),
            ),
            ("duty", _("Duty"), Decimal(display["duty"])),
            ("taxes", _("Taxes"), Decimal(display["taxes"])),
            ("fees", _("Fees"), Decimal(display["fees"])),
        ]
    except (KeyError, InvalidOperation, TypeError):
        return []
    if landed <= 0:
        return []
    return [
        {
            "kind": kind,
            "label": label,
            "amount": f"{amount:f}",
            "width": f"{(amount * 100 / landed).quantize(Decimal('0.01'))}",
        }
        for kind, label, amount in parts
    ]


def _countries(language: str) -> list[tuple[str, str]]:
    import pycountry

    return sorted(
        ((c.alpha_2, country_name(c.alpha_2, language)) for c in pycountry.countries),
        key=lambda item: item[1],
    )


def _destinations(language: str) -> list[tuple[str, str, str]]:
    out = []
    for territory in published.territory_list():
        for code in territory["members"]:
            out.append((code, country_name(code, language), territory["territory"]))
    return sorted(out, key=lambda item: item[1])


@require_http_methods(["GET", "POST"])
def quote_calculator(request: HttpRequest) -> HttpResponse:
    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    top_errors: dict[str, str] = {}
    if request.method == "POST":
        values = _posted_values(request.POST)
        action = request.POST.get("action", "quote")
        if action == "add_line" and len(values["lines"]) < MAX_LINES:
            values["lines"].append(_blank_line(values))
        elif action.startswith("remove_line:"):
            number = action.split(":", 1)[1]
            if number.isdigit() and int(number) < len(values["lines"]):
                del values["lines"][int(number)]
        else:
            values["lines"] = [line for line in values["lines"] if not _is_blank(line)]
            try:
                response = quote_compute(_quote_request(values))
            except QuoteRejectedError as rejected:
                error = rejected.as_dict()
                top_errors = _place_errors(values, rejected.fields)
        if not values["lines"]:
            values["lines"] = [_blank_line(values)]
    else:
        values = _initial_values(request)
    national = national_choices(response)
    for position, line in enumerate(values["lines"], start=1):
        line["hs_description"] = hs_describe(line["hs_code"]) if line["hs_code"] else ""
        line["national"] = national.get(str(position), [])
    language = _language(request)
    currencies = sorted(set(conf.CURRENCIES()) | {"RWF", "EUR", "USD"})
    context = {
        "values": values,
        "response": response,
        "error": error,
        "errors": top_errors,
        "bar": _bar(response) if response else [],
        "countries": _countries(language),
        "quote_destinations": _destinations(language),
        "quote_currencies": currencies,
        "max_lines": MAX_LINES,
        "rules": current_rules(),
        "rule_choices": rules_choices(),
    }
    return _partial(request, "traderules/quote.html", "calculator", context)


@require_GET
def quote_hs(request: HttpRequest) -> HttpResponse:
    """Subheadings matching the words typed in a line's search box (htmx)."""
    line = request.GET.get("line", "0")
    if not line.isdigit() or len(line) > 3:
        line = "0"
    text = request.GET.get(f"line-{line}-find", request.GET.get("q", "")).strip()[:200]
    matches = hs_search(text, limit=8) if len(text) >= 2 else []
    return render(
        request,
        "traderules/quote.html#suggestions",
        {"line": line, "matches": matches, "text": text},
    )


@require_GET
def quote_hs_pick(request: HttpRequest) -> HttpResponse:
    """A chosen subheading: the line's HS code input, filled (htmx)."""
    line = request.GET.get("line", "0")
    if not line.isdigit() or len(line) > 3:
        line = "0"
    code = re.sub(r"[^\d]", "", request.GET.get("code", ""))[:10]
    dotted = f"{code[:4]}.{code[4:]}" if len(code) >= 6 else code
    return render(
        request,
        "traderules/quote.html#picked",
        {
            "index": line,
            "code": dotted,
            "description": hs_describe(code),
            "oob": True,
        },
    )


# Versions -------------------------------------------------------------------------------------


@require_GET
def version_list(request: HttpRequest) -> HttpResponse:
    versions = published.version_list()
    newest = versions.values_list("label", flat=True).first()
    return render(
        request,
        "traderules/versions.html",
        {"page_obj": _page(versions, request), "newest": newest},
    )


@require_GET
def version_detail(request: HttpRequest, label: str) -> HttpResponse:
    version = version_get(label)
    if version is None:
        raise Http404("no such version")
    newest = published.version_list().values_list("label", flat=True).first()
    return render(
        request,
        "traderules/version.html",
        {
            "version": version,
            "in_force": version.label == newest,
            "described": describe_changes(version.changes),
            "counts": [
                {"title": _table_title(table), **counts}
                for table, counts in version.changes.items()
            ],
            "truncated": any(
                len(counts["rows"]) < counts["added"] + counts["removed"] + counts["changed"]
                for counts in version.changes.values()
            ),
        },
    )


# Steward pages -------------------------------------------------------------------------------

View = Callable[..., HttpResponse]


def steward_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_steward(request.user):
            raise PermissionDenied("rule stewards only")
        return view(request, *args, **kwargs)

    return wrapped


def _model(table: str) -> type[RuleRow] | type[Source]:
    model = EDITABLE_MODELS.get(table)
    if model is None:
        raise Http404("no such table")
    return model


_TABLE_TITLES = {
    "territories": gettext_lazy("Territories"),
    "tariff_lines": gettext_lazy("Tariff lines"),
    "preferences": gettext_lazy("Preferences"),
    "additional_duties": gettext_lazy("Additional duties"),
    "taxes": gettext_lazy("Taxes"),
    "fees": gettext_lazy("Fees"),
    "documents": gettext_lazy("Documents"),
    "sources": gettext_lazy("Sources"),
    "regimes": gettext_lazy("Low-value regimes"),
}


def _table_title(table: str) -> str:
    return str(_TABLE_TITLES.get(table, table))


@steward_required
@require_http_methods(["GET", "POST"])
def steward(request: HttpRequest) -> HttpResponse:
    form = PublishForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "reset":
        try:
            rules_working_copy_reset(actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The working copy is the rules in force again."))
        return HttpResponseRedirect(reverse("traderules:steward"))
    if request.method == "POST" and form.is_valid():
        try:
            asked = publication_request(actor=request.user, note=form.cleaned_data["note"])
        except DomainError as error:
            for field, message in error.fields.items():
                form.add_error(field if field in form.fields else None, message)
            if not error.fields or error.code != "invalid_request":
                form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Publication requested: a second steward must now approve it."),
            )
            return HttpResponseRedirect(reverse("traderules:publication", args=[asked.pk]))
    current = published.version_list().first()
    pending = changes_between(current.content if current else None, working_copy_content())
    tables = [
        {"name": name, "title": _table_title(name), "count": model._default_manager.count()}
        for name, model in EDITABLE_MODELS.items()
    ]
    waiting = (
        PublicationRequest.objects.select_related("requested_by")
        .filter(status=PublicationRequest.Status.PENDING)
        .first()
    )
    return render(
        request,
        "traderules/steward.html",
        {
            "form": form,
            "current": current,
            "pending": describe_changes(pending),
            "tables": tables,
            "waiting": waiting,
        },
    )


def _publication_post(request: HttpRequest, asked: PublicationRequest) -> HttpResponse | None:
    action = request.POST.get("action")
    try:
        if action == "approve":
            version = publication_approve(actor=request.user, request_id=asked.pk)
            messages.success(
                request,
                _("Version %(label)s is published and in force.") % {"label": version.label},
            )
            return HttpResponseRedirect(reverse("traderules:version", args=[version.label]))
        if action == "withdraw":
            publication_withdraw(
                actor=request.user, request_id=asked.pk, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("The request is withdrawn; nothing was published."))
            return HttpResponseRedirect(reverse("traderules:steward"))
    except DomainError as error:
        messages.error(request, error.message)
    return None


@steward_required
@require_http_methods(["GET", "POST"])
def publication(request: HttpRequest, pk: int) -> HttpResponse:
    """A request to publish: what changes, in words, and the products whose landed price
    moves; a second steward approves it here."""
    asked = (
        PublicationRequest.objects.select_related("requested_by", "decided_by", "organisation")
        .filter(pk=pk)
        .first()
    )
    if asked is None:
        raise Http404("no such request")
    if request.method == "POST":
        done = _publication_post(request, asked)
        if done is not None:
            return done
        asked.refresh_from_db()
    waiting = asked.status == PublicationRequest.Status.PENDING
    preview = publication_effects(asked) if waiting else None
    language = _language(request)
    for effect in (preview or {}).get("effects") or ():
        effect["destination_name"] = country_name(effect["destination"], language)
        for when in ("before", "after"):
            amount = Money.of(effect[when], effect["currency"])
            effect[f"{when}_shown"] = amount.format(language)
    return render(
        request,
        "traderules/publication.html",
        {
            "asked": asked,
            "waiting": waiting,
            "changes": describe_changes(preview["changes"] if preview else asked.changes),
            "preview": preview,
            "own": asked.requested_by_id == request.user.pk,
            "may_approve": waiting and may_approve(request.user, asked),
        },
    )


def _search_rows(model: type[RuleRow] | type[Source], query: str) -> Any:
    rows = model._default_manager.order_by("position", "id")
    if not query:
        return rows
    condition = Q()
    for column in model.KEY + (("description",) if hasattr(model, "description") else ()):
        name = model.field_name(column)
        if model._meta.get_field(name).get_internal_type() in ("CharField", "TextField"):
            condition |= Q(**{f"{name}__icontains": query})
    return rows.filter(condition)


def _column_title(model: type[RuleRow] | type[Source], column: str) -> str:
    """A column as people call it ("MFN ad valorem rate (%)"), not its file name."""
    field = model._meta.get_field(model.field_name(column))
    title = str(getattr(field, "verbose_name", column))
    if column in PERCENT_COLUMNS.get(getattr(model, "TABLE", ""), ()):
        title = f"{title} (%)"
    return title[:1].upper() + title[1:]


@steward_required
@require_GET
def steward_table(request: HttpRequest, table: str) -> HttpResponse:
    model = _model(table)
    query = request.GET.get("q", "").strip()[:100]
    page_obj = _page(_search_rows(model, query), request, per_page=50)
    columns = [c for c in model.COLUMNS if c not in ("conditions", "treatment")]
    percent = PERCENT_COLUMNS.get(table, ())
    rows = [
        {
            "pk": row.pk,
            "cells": [
                percent_label(cells.get(column, "")) if column in percent else cells.get(column, "")
                for column in columns
            ],
        }
        for row in page_obj.object_list
        for cells in [row.to_row()]
    ]
    context = {
        "table": table,
        "title": _table_title(table),
        "columns": [_column_title(model, column) for column in columns],
        "rows": rows,
        "page_obj": page_obj,
        "query": query,
    }
    return _partial(request, "traderules/steward_table.html", "rows", context)


@steward_required
@require_http_methods(["GET", "POST"])
def steward_row_edit(request: HttpRequest, table: str, pk: int | None = None) -> HttpResponse:
    model = _model(table)
    instance = None
    if pk is not None:
        instance = model._default_manager.filter(pk=pk).first()
        if instance is None:
            raise Http404("no such row")
    form_class = row_form_class(model)
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        row = form.save(commit=False)
        try:
            rule_row_save(actor=request.user, row=row)
        except DomainError as error:
            for field, message in error.fields.items():
                form.add_error(field if field in form.fields else None, message)
            if not error.fields:
                form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Saved %(row)s. Publish to put it in force.") % {"row": row.key_text()},
            )
            return HttpResponseRedirect(reverse("traderules:steward_table", args=[table]))
    return render(
        request,
        "traderules/steward_row.html",
        {"form": form, "table": table, "title": _table_title(table), "instance": instance},
    )


@steward_required
@require_http_methods(["GET", "POST"])
def steward_row_delete(request: HttpRequest, table: str, pk: int) -> HttpResponse:
    model = _model(table)
    row = model._default_manager.filter(pk=pk).first()
    if row is None:
        raise Http404("no such row")
    if request.method == "POST":
        try:
            rule_row_delete(actor=request.user, row=row)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Deleted %(row)s. Publish to put it in force.") % {"row": row.key_text()},
            )
        return HttpResponseRedirect(reverse("traderules:steward_table", args=[table]))
    return render(
        request,
        "traderules/steward_delete.html",
        {"row": row, "table": table, "title": _table_title(table), "cells": row.to_row()},
    )


# Exchange rates ------------------------------------------------------------------------------


@require_GET
def fx_list(request: HttpRequest) -> HttpResponse:
    currency = request.GET.get("currency", "").strip().upper()[:3]
    origin = request.GET.get("origin", "").strip()
    if origin not in ExchangeRate.Origin.values:
        origin = ""
    rates = exchange_rate_list(currency=currency, origin=origin)
    return _partial(
        request,
        "traderules/fx.html",
        "rates",
        {
            "page_obj": _page(rates, request, per_page=50),
            "latest": latest_rates(),
            "stale": stale_currencies(),
            "max_age": conf.FX_MAX_AGE_DAYS(),
            "currency": currency,
            "origin": origin,
            "origins": ExchangeRate.Origin.choices,
            "can_enter_rates": can_enter_rates(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def fx_enter(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can_enter_rates(request.user):
        raise PermissionDenied("platform operator only")
    form = ExchangeRateForm(request.POST or None, initial={"date": clock.today()})
    if request.method == "POST" and form.is_valid():
        try:
            rate = fx_rate_enter(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            for field, message in error.fields.items():
                form.add_error(field if field in form.fields else None, message)
            if not error.fields:
                form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Saved: 1 EUR = %(rate)s %(currency)s on %(date)s.")
                % {"rate": rate.rate_text, "currency": rate.currency, "date": rate.date},
            )
            return HttpResponseRedirect(reverse("traderules:fx"))
    return render(
        request,
        "traderules/fx_enter.html",
        {"form": form, "stale": stale_currencies(), "max_age": conf.FX_MAX_AGE_DAYS()},
    )


def _schedule_choices() -> list[tuple[str, str]]:
    return [
        (str(row["schedule"]), f"{row['schedule']} ({row['territory']}, {row['schedule_date']})")
        for row in schedule_list()
    ]


@steward_required
@require_http_methods(["GET", "POST"])
def steward_schedule(request: HttpRequest) -> HttpResponse:
    """Update one national schedule: upload its new file, read the summary of lines added,
    changed and removed, then publish it as a new version."""
    choices = _schedule_choices()
    upload = ScheduleUploadForm(
        request.POST if request.POST.get("action") == "check" else None,
        request.FILES or None,
        schedules=choices,
    )
    context: dict[str, Any] = {"upload": upload, "schedules": choices}
    if request.method == "POST" and request.POST.get("action") == "publish":
        return _schedule_publish(request, context)
    if request.method == "POST" and upload.is_valid():
        data = upload.cleaned_data
        text = data["file"].read()
        try:
            update = schedule_update_check(
                actor=request.user,
                schedule=data["schedule"],
                upload=text,
                schedule_date=data["schedule_date"],
                file_name=data["file"].name,
            )
        except DomainError as error:
            context["problems"] = error.fields
            upload.add_error(None, error.message)
        else:
            context["update"] = update
            context["publish"] = SchedulePublishForm(
                initial={
                    "token": upload_save(text),
                    "schedule": update.schedule,
                    "schedule_date": update.schedule_date,
                    "file_name": data["file"].name,
                }
            )
    return render(request, "traderules/steward_schedule.html", context)


def _schedule_publish(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    publish = SchedulePublishForm(request.POST)
    context["publish"] = publish
    if publish.is_valid():
        data = publish.cleaned_data
        try:
            version = schedule_update_publish(
                actor=request.user,
                schedule=data["schedule"],
                upload=upload_read(data["token"]),
                schedule_date=data["schedule_date"],
                note=data["note"],
                file_name=data["file_name"],
            )
        except DomainError as error:
            publish.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Version %(label)s is published and in force.") % {"label": version.label},
            )
            return HttpResponseRedirect(reverse("traderules:version", args=[version.label]))
    return render(request, "traderules/steward_schedule.html", context)
