"""The NinjaAPI at /api/v1/: routers of every app, the error format, health."""

from __future__ import annotations

from typing import Any

from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

import ewtp
from ewtp.accounts.api import router as auth_router
from ewtp.catalog.api import router as catalog_router
from ewtp.core.errors import DomainError
from ewtp.core.locks import is_lock_timeout
from ewtp.customs.api import router as customs_router
from ewtp.learning.api import router as learning_router
from ewtp.logistics.api import router as logistics_router
from ewtp.orders.api import router as orders_router
from ewtp.payments.api import router as payments_router
from ewtp.tourism.api import router as tourism_router
from ewtp.traderules.api import quotes_router
from ewtp.traderules.api import router as traderules_router

# Answers any operation may give, documented once for all (the contract: every error body is
# {"code", "message", "fields"?}); an operation that documents its own keeps it.
_ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["code", "message"],
}
_COMMON_ERRORS = {
    "400": "The request cannot be read (a body that is not JSON, a bad signature header).",
    "401": "Authentication needed, or the bearer token is not valid.",
    "403": "Authenticated, but not allowed.",
    "422": "The request is not valid; `fields` says where.",
    "429": "Too many requests; `Retry-After` says when to try again.",
}


class PlatformApi(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR_SCHEMA
        for path, operations in schema["paths"].items():
            if path.endswith("/health"):
                continue
            for operation in operations.values():
                _document_common_errors(operation)
        return schema


def _document_common_errors(operation: dict[str, Any]) -> None:
    errors = dict(_COMMON_ERRORS)
    if any(param.get("in") == "path" for param in operation.get("parameters", [])):
        errors["404"] = "Nothing with this identifier that the caller may see."
    responses = operation.setdefault("responses", {})
    for status, description in errors.items():
        responses.setdefault(
            status,
            {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        )


api = PlatformApi(
    title="eWTP API",
    version="1",
    description="The Electronic World Trade Platform's JSON API. Errors are "
    '`{"code", "message", "fields"}`. Authenticate with `Authorization: Bearer <token>` '
    "from `POST /api/v1/auth/token`; guests may quote, browse, fill a cart, check out and book.",
    urls_namespace="api",
)


def _location(loc: list[Any]) -> str:
    parts = [str(part) for part in loc if part not in {"body", "query", "path", "payload"}]
    return ".".join(parts) or "body"


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.http_status)
    if exc.http_status == 429 and "retry_after" in exc.extra:
        response["Retry-After"] = str(exc.extra["retry_after"])
    return response


@api.exception_handler(OperationalError)
def database_busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """A lock wait that ran out (EWTP_LOCK_TIMEOUT_MS) is a busy item, not a server error."""
    if not is_lock_timeout(exc):
        raise exc
    body = {"code": "busy", "message": "The platform is busy with the same item; try again."}
    response = api.create_response(request, body, status=409)
    response["Retry-After"] = "1"
    return response


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields = {
        _location(list(error.get("loc", []))): str(error.get("msg", "invalid"))
        for error in exc.errors
    }
    body = {"code": "invalid_request", "message": "The request is not valid.", "fields": fields}
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = {"code": "not_authenticated", "message": "Log in or send a bearer token."}
    return api.create_response(request, body, status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {
        400: "invalid_request",
        403: "permission_denied",
        404: "not_found",
        405: "method_not_allowed",
    }.get(exc.status_code, "error")
    return api.create_response(request, {"code": code, "message": str(exc)}, status=exc.status_code)


@api.get("/health", tags=["platform"], summary="Liveness and database reachability")
def health(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except Exception:  # any database failure means "unavailable"
        database = "unavailable"
    body = {
        "status": "ok" if database == "ok" else "unavailable",
        "database": database,
        "version": ewtp.__version__,
    }
    return api.create_response(request, body, status=200 if database == "ok" else 503)


api.add_router("/auth", auth_router)
api.add_router("/quotes", quotes_router)
api.add_router("/traderules", traderules_router)
api.add_router("/catalog", catalog_router)
api.add_router("/", orders_router)  # /carts and /orders, as interfaces.md fixes them
api.add_router("/payments", payments_router)
api.add_router("/logistics", logistics_router)
api.add_router("/customs", customs_router)
api.add_router("/tourism", tourism_router)
api.add_router("/", learning_router)  # /certificates/{code} and /learning/...
