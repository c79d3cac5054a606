"""API of trade rules: the landed-cost quote and the public rule data."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from ewtp.core.ratelimit import rate_limit
from ewtp.traderules.errors import QuoteRejectedError
from ewtp.traderules.selectors import published
from ewtp.traderules.selectors.hs import hs_search_page
from ewtp.traderules.selectors.paging import paginate
from ewtp.traderules.selectors.snapshot import current_rules, quote_compute

router = Router(tags=["traderules"])
quotes_router = Router(tags=["quotes"])

_QUOTE_EXAMPLE = {
    "origin": "RW",
    "destination": "BE",
    "date": "2026-11-26",
    "currency": "EUR",
    "incoterm": "DDP",
    "buyer": {"kind": "consumer"},
    "proof_of_origin": True,
    "shipping": {"amount": "25.00", "currency": "USD"},
    "lines": [
        {
            "id": "a",
            "hs_code": "0901.21",
            "description": "Roasted coffee beans, 500 g",
            "quantity": 3,
            "unit_price": {"amount": "12000", "currency": "RWF"},
            "unit_weight_kg": "0.5",
        }
    ],
}

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {
            "type": "string",
            "enum": [
                "too_many_lines",
                "invalid_request",
                "unknown_hs_code",
                "unsupported_destination",
                "fx_rate_unavailable",
                "rate_limited",
            ],
        },
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def _json(body: Any, status: int = 200) -> HttpResponse:
    # The engine's dicts hold only strings, numbers, booleans and lists: plain json is enough,
    # and cheaper than a schema round trip on the platform's hottest endpoint.
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )


@quotes_router.post(
    "",
    summary="Landed-cost quote",
    description=(
        "Prices a parcel delivered to the destination, all in: duty (with the preference "
        "programme applied), additional duties, fees and taxes per line, under the low-value "
        "regime that applies, converted at the reference rates of the date. The request and "
        "the response are those of the landed-cost contract; the body is read as raw JSON and "
        "the engine decides the error codes (checked in this order): `too_many_lines`, "
        "`invalid_request`, `unknown_hs_code`, `unsupported_destination`, "
        "`fx_rate_unavailable`, all with status 422. No login needed; rate-limited per client "
        "(120 a minute)."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "additionalProperties": True},
                    "example": _QUOTE_EXAMPLE,
                }
            },
        },
        "responses": {
            200: {
                "description": "The quote (complete or not: see `complete` and `warnings`).",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            422: {
                "description": "A rejected request: `{code, message, fields}`.",
                "content": {"application/json": {"schema": _ERROR_SCHEMA}},
            },
            429: {"description": "Too many requests from this client."},
        },
    },
)
def quote_create(request: HttpRequest) -> HttpResponse:
    rate_limit(request, "quotes", per_minute=120)
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        error = QuoteRejectedError(
            "invalid_request", _("The body is not valid JSON."), fields={"body": "not valid JSON"}
        )
        return _json(error.as_dict(), status=422)
    try:
        response = quote_compute(body)
    except QuoteRejectedError as error:
        return _json(error.as_dict(), status=422)
    return _json(response)


class HsItemOut(Schema):
    code: str
    dotted: str
    description: str
    heading: str
    heading_description: str
    chapter: str
    chapter_description: str
    section: str


class HsPageOut(Schema):
    items: list[HsItemOut]
    page: int
    pages: int
    total: int


class HsQuery(Schema):
    q: str = ""
    page: int = 1
    per_page: int = 20


@router.get(
    "/hs",
    response=HsPageOut,
    summary="Search the HS 2022 nomenclature",
    description=(
        "Subheadings (6 digits) ranked for `q`: words matched in the subheading's text and in "
        "its heading's and chapter's (`roasted coffee` finds 0901.21 first), or a code prefix "
        "(`0901`, `0901.21`). Paginated, at most 100 per page."
    ),
)
def hs_search(request: HttpRequest, filters: Query[HsQuery]) -> dict[str, Any]:
    per_page = min(max(filters.per_page, 1), 100)
    found = hs_search_page(filters.q, page=filters.page, per_page=per_page)
    found["items"] = [match.as_dict() for match in found["items"]]
    return found


class TerritoryOut(Schema):
    territory: str
    name: str
    customs_currency: str
    valuation_basis: str
    members: list[str]
    regimes: list[str]
    source: str
    confidence: str


class TerritoryPageOut(Schema):
    items: list[TerritoryOut]
    page: int
    pages: int
    total: int
    rules_version: str


class PageQuery(Schema):
    page: int = 1
    per_page: int = 20


@router.get(
    "/territories",
    response=TerritoryPageOut,
    summary="Customs territories of the rules in force",
    description=(
        "Each customs territory with its customs currency, valuation basis (CIF or FOB), "
        "member countries, low-value regime ids in evaluation order, sources and confidence. "
        "A destination outside every territory is unsupported."
    ),
)
def territory_list(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    per_page = min(max(paging.per_page, 1), 100)
    found = paginate(published.territory_list(), page=paging.page, per_page=per_page)
    found["rules_version"] = current_rules().label
    return found


class VersionOut(Schema):
    label: str
    created_at: str
    created_by: str | None
    note: str
    in_force: bool
    changes: dict[str, dict[str, int]]


class VersionPageOut(Schema):
    items: list[VersionOut]
    page: int
    pages: int
    total: int


@router.get(
    "/versions",
    response=VersionPageOut,
    summary="Rule versions, newest first",
    description=(
        "Every published version of the rule tables: its label (publish date and sequence of "
        "the day, e.g. `2026-11-26.3`), who published it and why, and how many rows were "
        "added, removed and changed per table. The newest version is in force; a quote names "
        "it in `rules_version`."
    ),
)
def version_list(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    per_page = min(max(paging.per_page, 1), 100)
    versions = published.version_list()
    total = versions.count()
    pages = max(1, -(-total // per_page))
    page = min(max(1, paging.page), pages)
    newest = versions.values_list("label", flat=True).first()
    chosen = versions[(page - 1) * per_page : page * per_page]
    items = [
        {
            "label": version.label,
            "created_at": version.created_at.isoformat().replace("+00:00", "Z"),
            "created_by": version.created_by.email if version.created_by else None,
            "note": version.note,
            "in_force": version.label == newest,
            "changes": {
                table: {key: value for key, value in counts.items() if key != "rows"}
                for table, counts in version.changes.items()
            },
        }
        for version in chosen
    ]
    return {"items": items, "page": page, "pages": pages, "total": total}
