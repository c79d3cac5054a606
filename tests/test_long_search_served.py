"""A 5,000-character search on the real server (`ewtp serve`, gunicorn): in Latin letters and
in Chinese (45,000 bytes once encoded), the answer is the site's own page saying the search was
shortened, never the server's bare error page."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.test_home_weight import _fetch, served  # noqa: F401 - the served fixture

LATIN = "coffee " * 715  # 5,005 characters
CHINESE = "咖啡" * 2500  # 5,000 characters, 45,000 bytes in the URL


@pytest.mark.parametrize("query", [LATIN, CHINESE], ids=["latin", "chinese"])
def test_a_5000_character_search_gets_the_site_page(served: int, query: str) -> None:  # noqa: F811
    url = "/shop/search/?q=" + quote(query)
    assert len(url) > 5000
    status, headers, body, _wire = _fetch(served, url, "identity")
    text = body.decode()
    assert status == 200, text[:300]
    assert headers["content-type"].startswith("text/html")
    assert 'data-testid="query-cut"' in text and "limited to 200 characters" in text
    assert '<header class="top">' in text  # the site's layout, not a bare server page
