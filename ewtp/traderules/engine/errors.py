"""The engine's typed rejection: a stable code, a message for people and the fields at fault."""

from __future__ import annotations

# Codes in the order the contract checks them.
TOO_MANY_LINES = "too_many_lines"
INVALID_REQUEST = "invalid_request"
UNKNOWN_HS_CODE = "unknown_hs_code"
UNSUPPORTED_DESTINATION = "unsupported_destination"
FX_RATE_UNAVAILABLE = "fx_rate_unavailable"


class QuoteRejected(Exception):
    """A request the engine will not price (HTTP 422, exit status 2)."""

    def __init__(self, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields: dict[str, str] = dict(fields or {})

    def as_dict(self) -> dict[str, object]:
        """The error body of the contract: ``{"code", "message", "fields"}``."""
        return {"code": self.code, "message": self.message, "fields": dict(self.fields)}

    def __repr__(self) -> str:
        return f"QuoteRejected({self.code!r}, {self.message!r}, {self.fields!r})"
