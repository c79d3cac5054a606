"""API of customs (mounted at /api/v1/customs): the officer's queue, a declaration, its data
set as JSON or XML, decisions and figures; and the seller's submission of a parcel's
declarations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict

from ewtp.accounts.auth import BearerOrSession
from ewtp.core.errors import InvalidRequest
from ewtp.core.pagination import paginate
from ewtp.customs import selectors, services
from ewtp.customs.models import Declaration
from ewtp.customs.serialise import to_json, to_xml
from ewtp.logistics.selectors import parcel_get_for

router = Router(tags=["customs"], auth=BearerOrSession())


class ErrorOut(Schema):
    model_config = ConfigDict(extra="allow")
    code: str
    message: str
    fields: dict[str, str] | None = None


class FlagOut(Schema):
    model_config = ConfigDict(extra="allow")
    code: str
    message: str


class DeclarationOut(Schema):
    id: str
    reference: str
    kind: str
    dataset: str
    authority: str | None
    country: str
    status: str
    parcel: str
    order: str
    value: dict[str, str]
    risk_flags: list[FlagOut]
    submitted_at: str
    released_at: str | None
    hold_reason: str
    decision_note: str


class DeclarationPageOut(Schema):
    items: list[DeclarationOut]
    page: int
    pages: int
    total: int


class DecisionIn(Schema):
    action: str
    reason: str = ""
    note: str = ""


class SubmitIn(Schema):
    origin_statement: bool = False


class QueueQuery(Schema):
    authority: str = ""
    status: str = "open"
    kind: str = ""
    flag: str = ""
    country: str = ""
    q: str = ""
    page: int = 1


def declaration_out(declaration: Declaration) -> dict[str, Any]:
    return {
        "id": str(declaration.public_id),
        "reference": declaration.reference,
        "kind": declaration.kind,
        "dataset": declaration.dataset,
        "authority": declaration.authority.slug if declaration.authority else None,
        "country": declaration.country,
        "status": declaration.status,
        "parcel": declaration.parcel.code,
        "order": str(declaration.order.public_id),
        "value": declaration.value.as_dict(),
        "risk_flags": declaration.risk_flags,
        "submitted_at": declaration.submitted_at.isoformat(),
        "released_at": declaration.released_at.isoformat() if declaration.released_at else None,
        "hold_reason": declaration.hold_reason,
        "decision_note": declaration.decision_note,
    }


@router.get(
    "/declarations",
    response={200: DeclarationPageOut, 401: ErrorOut},
    summary="The officer's queue: declarations lodged with the caller's authorities",
)
def queue(request: HttpRequest, query: Query[QueueQuery]) -> dict[str, Any]:
    rows = selectors.declaration_queue_for(
        request.user,
        authority=query.authority,
        status=query.status,
        kind=query.kind,
        flag=query.flag,
        country=query.country,
        query=query.q,
    )
    page = paginate(rows, query.page, past_end="empty")
    return {**page.as_dict(), "items": [declaration_out(d) for d in page.items]}


@router.get(
    "/declarations/{declaration_id}",
    response={200: DeclarationOut, 401: ErrorOut, 404: ErrorOut},
    summary="One declaration (its authority's officers, the seller, the operator)",
)
def declaration_get(request: HttpRequest, declaration_id: str) -> dict[str, Any]:
    return declaration_out(selectors.declaration_get_for(request.user, declaration_id))


@router.get(
    "/declarations/{declaration_id}/data",
    response={200: dict[str, Any], 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="The data set as submitted: ?format=json (default) or xml",
)
def declaration_data(
    request: HttpRequest, declaration_id: str, format: str = "json"
) -> HttpResponse:
    declaration = selectors.declaration_get_for(request.user, declaration_id)
    if format == "xml":
        return HttpResponse(to_xml(declaration.data), content_type="application/xml; charset=utf-8")
    if format != "json":
        raise InvalidRequest("invalid_request", _("json or xml."), fields={"format": "json or xml"})
    return HttpResponse(to_json(declaration.data), content_type="application/json; charset=utf-8")


@router.post(
    "/declarations/{declaration_id}/decisions",
    response={
        200: DeclarationOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Release, hold (reason), inspect or reject (reason and note) a declaration",
)
def decide(request: HttpRequest, declaration_id: str, payload: DecisionIn) -> dict[str, Any]:
    declaration = selectors.declaration_get_for(request.user, declaration_id)
    decided = services.declaration_decide(
        actor=request.user,
        declaration=declaration,
        action=payload.action,
        reason=payload.reason,
        note=payload.note,
    )
    return declaration_out(decided)


@router.post(
    "/parcels/{code}/declarations",
    response={
        201: list[DeclarationOut],
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="The seller submits the parcel's export and import declarations",
)
def submit(request: HttpRequest, code: str, payload: SubmitIn) -> Status[list[dict[str, Any]]]:
    parcel = parcel_get_for(request.user, code)
    declarations = services.declarations_submit(
        actor=request.user, parcel=parcel, is_origin_statement_made=payload.origin_statement
    )
    return Status(201, [declaration_out(d) for d in declarations])


@router.get(
    "/figures",
    response={200: dict[str, Any], 401: ErrorOut, 404: ErrorOut},
    summary="Time to release and holds by reason, for one of the caller's authorities",
)
def figures(request: HttpRequest, authority: str = "") -> dict[str, Any]:
    result = selectors.figures_for(request.user, authority)
    if result is None:
        from ewtp.core.errors import NotFound

        raise NotFound("not_found", _("You are not an officer of that authority."))
    return {
        "authority": result.authority.slug,
        "by_status": result.by_status,
        "released": result.released,
        "release_hours": {
            "median": result.release_hours_median,
            "mean": result.release_hours_mean,
            "p90": result.release_hours_p90,
        },
        "holds_by_reason": [
            {"reason": r, "label": label, "count": c} for r, label, c in result.holds_by_reason
        ],
        "flagged_open": result.flagged_open,
    }
