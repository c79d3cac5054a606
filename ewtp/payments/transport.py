"""HTTP to payment providers: one place for timeouts, errors and JSON.

A timeout, a refused connection or a 5xx means the outcome is *unknown*
(:class:`ProviderUnavailable`), never that the request failed: the caller asks for the
status later with the same reference. Headers are never logged (they carry secrets).
"""

from __future__ import annotations

import functools
import io
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.signals import setting_changed

from ewtp.core import conf

if TYPE_CHECKING:
    from django.test.client import ClientHandler


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


@functools.cache
def _platform_handler() -> ClientHandler:
    """The platform's own request handler, built once per process: a new handler loads every
    middleware again, and WhiteNoise's then walks the whole static root (80 ms of CPU and more
    per request with a collected static root)."""
    from django.test.client import ClientHandler

    return ClientHandler(enforce_csrf_checks=False)  # as the test client delivered them before


def _handler_forget(**_kwargs: object) -> None:
    _platform_handler.cache_clear()  # a changed setting (tests) may change the middleware


setting_changed.connect(_handler_forget)


def platform_request(
    method: str,
    path: str,
    *,
    headers: dict[str, str],
    body: bytes = b"",
    secure: bool = False,
) -> Response:
    """One request to the platform itself, in process, through its own middleware and views:
    what a simulated provider sends when no public URL is configured. Addressed to
    ``localhost`` (a host every server allows), over HTTPS when ``secure``."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method.upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "443" if secure else "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https" if secure else "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multiprocess": True,
        "wsgi.multithread": False,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    answer: Any = _platform_handler()(environ)  # an HttpResponse, its request attached
    return Response(int(answer.status_code), bytes(answer.content))
