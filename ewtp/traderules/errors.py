"""Domain errors of trade rules (rendered by the API as ``{"code", "message", "fields"}``)."""

from __future__ import annotations

from typing import Any

from ewtp.core.errors import DomainError


class QuoteRejectedError(DomainError):
    """The quote engine's rejection (too_many_lines, invalid_request, unknown_hs_code,
    unsupported_destination, fx_rate_unavailable), as a domain error with HTTP status 422.

    Unlike other domain errors the body always carries ``fields`` (possibly empty), exactly
    as the engine and the ``ewtp quote`` command print it.
    """

    code = "invalid_request"
    http_status = 422

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": dict(self.fields)}


class RulesInvalid(DomainError):
    """Rule data that does not validate; ``fields`` maps ``file:row:column`` to the problem."""

    code = "invalid_rules"
    http_status = 422


class RatesInvalid(DomainError):
    """An exchange-rate file or entry that does not validate."""

    code = "invalid_rates"
    http_status = 422


class NothingToPublish(DomainError):
    code = "nothing_to_publish"
    http_status = 422
