"""Paging of API lists."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

# Paging -----------------------------------------------------------------------------------


def paginate(items: Sequence[Any], *, page: int = 1, per_page: int = 20) -> dict[str, Any]:
    """One page of an API list; a page past the end has no items (a client stops there)."""
    total = len(items)
    pages = max(1, math.ceil(total / per_page))
    page = max(1, page)
    start = (page - 1) * per_page
    return {
        "items": list(items[start : start + per_page]),
        "page": page,
        "pages": pages,
        "total": total,
    }
