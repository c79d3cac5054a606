"""Categories of the catalog."""

from __future__ import annotations

from collections.abc import Mapping

from ewtp.catalog.models import (
    Category,
)


def category_ensure(
    *, slug: str, name: str, names: Mapping[str, str] | None = None, position: int = 0
) -> Category:
    """Create or refresh a category (demo data and operators' set-up)."""
    category, _ = Category.objects.update_or_create(
        slug=slug, defaults={"name": name, "names": dict(names or {}), "position": position}
    )
    return category
