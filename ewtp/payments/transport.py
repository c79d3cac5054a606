"""HTTP to payment providers: one place for timeouts, errors and JSON.

A timeout, a refused connection or a 5xx means the outcome is *unknown*
(:class:`ProviderUnavailable`), never that the request failed: the caller asks for the
status later with the same reference. Headers are never logged (they carry secrets).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from ewtp.core import conf


class ProviderUnavailable(Exception):
    """The provider did not give a usable answer (timeout, connection error, 5xx)."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.body) if self.body else {}
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}


def send(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes | None = None,
    timeout: float | None = None,
) -> Response:
    """One request; 5xx, timeouts and network errors raise ProviderUnavailable."""
    request = urllib.request.Request(  # noqa: S310 - the operator's configured provider
        url, data=body, method=method, headers=headers
    )
    wait = conf.PROVIDER_TIMEOUT_SECONDS() if timeout is None else timeout
    try:
        with urllib.request.urlopen(request, timeout=wait) as answer:  # noqa: S310
            response = Response(int(answer.status), answer.read())
    except urllib.error.HTTPError as error:
        response = Response(int(error.code), error.read())
    except (OSError, TimeoutError) as error:  # URLError, timeouts and resets are OSErrors
        raise ProviderUnavailable(f"{method} {url.split('?')[0]}: {type(error).__name__}") from None
    if response.status >= 500:
        raise ProviderUnavailable(f"{method} {url.split('?')[0]} answered {response.status}")
    return response


def send_json(
    method: str, url: str, *, headers: dict[str, str], payload: object | None = None
) -> Response:
    data = None if payload is None else json.dumps(payload, separators=(",", ":")).encode()
    merged = {"Accept": "application/json", **headers}
    if data is not None:
        merged["Content-Type"] = "application/json"
    return send(method, url, headers=merged, body=data)
