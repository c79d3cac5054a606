"""The home page stays light for a slow mobile connection: under 60 KB transferred on a first
load (the HTML, the stylesheet and the scripts it names, gzip-compressed as a browser asks)."""

from __future__ import annotations

import gzip
from html.parser import HTMLParser

import pytest
from django.test import Client

BUDGET_BYTES = 60_000  # 60 KB


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "link" and (attributes.get("rel") or "") == "stylesheet":
            self.urls.append(attributes["href"] or "")
        elif tag == "script" and attributes.get("src"):
            self.urls.append(attributes["src"] or "")


def _transferred(client: Client, url: str) -> tuple[int, bytes]:
    """Bytes on the wire for `url` fetched with Accept-Encoding: gzip, and the plain body."""
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, url
    body = (
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
        if response.streaming
        else response.content
    )
    if response.get("Content-Encoding") == "gzip":
        return len(body), gzip.decompress(body)
    return len(gzip.compress(body, compresslevel=6)), body


@pytest.mark.django_db
def test_the_home_page_weighs_under_60_kb_on_first_load(client: Client) -> None:
    html_size, html = _transferred(client, "/")
    parser = _Assets()
    parser.feed(html.decode())
    assert len(parser.urls) == 2, parser.urls  # the one stylesheet and htmx
    assert any(".css" in url for url in parser.urls)
    assert any(".js" in url for url in parser.urls)
    sizes = {"/": html_size}
    for url in parser.urls:
        assert url.startswith("/static/"), url  # nothing from another host
        sizes[url], _ = _transferred(client, url)
    total = sum(sizes.values())
    print(f"home page first load: {total} bytes gzip ({sizes})")
    assert total < BUDGET_BYTES, sizes
