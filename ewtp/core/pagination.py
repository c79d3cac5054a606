"""One way to cut a list into pages, for the pages and for the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
# Far past any real list, and small enough that page x page size fits a 64-bit SQL OFFSET.
MAX_PAGE = 1_000_000


def clamp_page(number: int) -> int:
    """A page number between 1 and MAX_PAGE (a larger one would overflow the database's OFFSET)."""
    return min(max(number, 1), MAX_PAGE)


@dataclass(frozen=True)
class PageOf:
    items: list[Any]
    page: int
    pages: int
    total: int
    has_previous: bool
    has_next: bool

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "page": self.page, "pages": self.pages, "total": self.total}


def page_number(raw: object) -> int:
    """A page number from a query string: anything not a positive integer is page 1."""
    try:
        number = int(str(raw))
    except (TypeError, ValueError):
        return 1
    return clamp_page(number)


def paginate(
    queryset: QuerySet[Any],
    page: object = 1,
    *,
    per_page: int = DEFAULT_PER_PAGE,
    past_end: str = "last",
) -> PageOf:
    """The page asked for, never an error. A page past the end gives the last page
    (``past_end="last"``, for people) or no items under the number asked for
    (``past_end="empty"``, for the API: a client reading pages until one is empty stops)."""
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    paginator = Paginator(queryset, per_page)
    number = page_number(page)
    if past_end == "empty" and number > paginator.num_pages:
        return PageOf(
            items=[],
            page=number,
            pages=paginator.num_pages,
            total=paginator.count,
            has_previous=True,
            has_next=False,
        )
    current: Page[Any] = paginator.get_page(number)
    return PageOf(
        items=list(current.object_list),
        page=current.number,
        pages=paginator.num_pages,
        total=paginator.count,
        has_previous=current.has_previous(),
        has_next=current.has_next(),
    )
