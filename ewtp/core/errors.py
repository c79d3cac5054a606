"""Typed domain errors: a stable code, a message for people, the fields at fault."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    http_status = 422

    def __init__(
        self,
        code: str | None = None,
        message: str = "",
        *,
        http_status: int | None = None,
        fields: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.code = code or self.code
        self.message = message or self.code.replace("_", " ")
        if http_status is not None:
            self.http_status = http_status
        self.fields = fields or {}
        self.extra = extra or {}
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        body.update(self.extra)
        return body


class InvalidRequest(DomainError):
    code = "invalid_request"
    http_status = 422


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    http_status = 403


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    http_status = 401


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class RateLimited(DomainError):
    code = "rate_limited"
    http_status = 429
