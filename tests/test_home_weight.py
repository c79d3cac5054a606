"""The home page stays light for a slow mobile connection: under 60 KB transferred on a first
visit, measured on a real `ewtp serve` started from a fresh checkout (no static files collected
yet, the demo loaded): the page and every asset it loads, each fetched as a browser asks for it
(brotli or gzip), headers included. The static files come hashed, compressed and with a year's
immutable cache."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EWTP = str(Path(sys.executable).parent / "ewtp")
BUDGET_BYTES = 60_000  # 60 KB
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"
HASHED = re.compile(r"\.[0-9a-f]{12}\.(css|js|svg|png|woff2?)$")
YEAR = "max-age=31536000, public, immutable"


class _Assets(HTMLParser):
    """Every URL the page makes a browser load: stylesheets, scripts, images, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        rel = attributes.get("rel", "").split()
        if tag == "link" and {"stylesheet", "icon", "preload", "modulepreload"} & set(rel):
            self.urls.append(attributes["href"])
        elif tag in {"script", "img", "source", "iframe"} and attributes.get("src"):
            self.urls.append(attributes["src"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _fetch(port: int, url: str, encodings: str) -> tuple[int, dict[str, str], bytes, int]:
    """(status, headers, body as sent, bytes on the wire: status line, headers and body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", url, headers={"Accept-Encoding": encodings})
    response = connection.getresponse()
    body = response.read()
    headers = {key.lower(): value for key, value in response.getheaders()}
    head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n\r\n") + sum(
        len(f"{key}: {value}\r\n") for key, value in response.getheaders()
    )
    connection.close()
    return response.status, headers, body, head + len(body)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`ewtp serve` on a free port, from a fresh var/ and static folder, the demo loaded."""
    base = tmp_path_factory.mktemp("fresh")
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("EWTP_") and key not in {"DATABASE_URL", "DEBUG"}
    }
    environ |= {
        "EWTP_VAR_DIR": str(base / "var"),
        "EWTP_STATIC_ROOT": str(base / "static"),
        "EWTP_HTTPS": "off",
        "EWTP_ACCESS_LOG": "/dev/null",
        "DEBUG": "off",
    }
    for command in (["migrate", "--noinput", "-v", "0"], ["loaddemo"]):
        subprocess.run([EWTP, *command], env=environ, cwd=ROOT, check=True, capture_output=True)
    assert not (base / "static" / "staticfiles.json").exists()  # nothing collected yet
    port = _free_port()
    server = subprocess.Popen(
        [EWTP, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=environ,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _fetch(port, "/api/v1/health", "identity")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"ewtp serve did not start: {server.stderr.read()!r}")  # type: ignore[union-attr]
            time.sleep(0.3)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_the_home_page_weighs_under_60_kb_on_a_first_visit(served: int) -> None:
    status, headers, html, html_bytes = _fetch(served, "/", BROWSER_ENCODINGS)
    assert status == 200
    assert headers.get("content-encoding") == "gzip"

    parser = _Assets()
    parser.feed(gzip.decompress(html).decode())
    assets = [url for url in parser.urls if not url.startswith("data:")]
    assert len(assets) == 3, assets  # the stylesheet, htmx and the site's script
    sizes = {"/": html_bytes}
    for url in assets:
        assert url.startswith("/static/"), url  # nothing from another host
        assert HASHED.search(url), url  # a hashed name: cached for good
        status, asset_headers, _body, wire = _fetch(served, url, BROWSER_ENCODINGS)
        assert status == 200, url
        assert asset_headers.get("content-encoding") == "br", (url, asset_headers)
        assert asset_headers.get("cache-control") == YEAR, (url, asset_headers)
        sizes[url] = wire
    total = sum(sizes.values())
    print(f"home page first visit: {total} bytes on the wire ({sizes})")
    assert total < BUDGET_BYTES, sizes


def test_static_files_come_gzipped_to_a_browser_without_brotli(served: int) -> None:
    status, _headers, html, _wire = _fetch(served, "/", "gzip")

    parser = _Assets()
    parser.feed(gzip.decompress(html).decode())
    script = next(url for url in parser.urls if "htmx" in url)
    status, headers, body, _wire = _fetch(served, script, "gzip")
    assert (status, headers.get("content-encoding")) == (200, "gzip")
    plain = _fetch(served, script, "identity")[2]
    assert gzip.decompress(body) == plain
    assert len(body) < len(plain) / 2


def test_a_huge_upload_is_refused_before_its_body_is_sent(served: int) -> None:
    """The same fresh server: a request announcing 200 MB is answered 413 at once, from its
    headers alone (nothing of the body is sent, so nothing of it can have been read)."""
    with socket.create_connection(("127.0.0.1", served), timeout=10) as raw:
        raw.sendall(
            b"POST /api/v1/carts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 209715200\r\n\r\n"
        )
        started = time.monotonic()
        received = b""  # the head and the body may come in separate packets
        while b"too_large" not in received and (chunk := raw.recv(65536)):
            received += chunk
        answer = received.decode("latin-1")
    assert answer.startswith("HTTP/1.1 413 "), answer[:200]
    assert '"code": "too_large"' in answer
    assert time.monotonic() - started < 5
