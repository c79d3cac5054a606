"""Row locks taken in one global order, with a bounded retry on lock timeouts."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from ewtp.core.errors import Conflict

M = TypeVar("M", bound=Model)
T = TypeVar("T")


def lock_rows[M: Model](queryset: QuerySet[M]) -> list[M]:
    """Lock the rows of one table in primary-key order and return them (evaluated at once).

    Lock several tables in a fixed order of tables, each through this helper. SQLite has no
    row locks; its immediate transactions already serialise writers.
    """
    return list(queryset.select_for_update(of=("self",)).order_by("pk"))


def retry_on_lock_timeout[T](call: Callable[[], T], *, attempts: int = 3, pause: float = 0.05) -> T:
    """Call again when the database reports a lock timeout or a busy file; then answer 409."""
    for attempt in range(attempts):
        try:
            return call()
        except OperationalError as error:
            message = str(error).lower()
            if "lock" not in message and "busy" not in message:
                raise
            time.sleep(pause * (attempt + 1))
    raise Conflict("busy", _("The platform is busy with the same item; try again."))
