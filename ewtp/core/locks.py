"""Row locks taken in one global order, with a bounded wait and a bounded retry.

On PostgreSQL every connection is given ``lock_timeout`` (EWTP_LOCK_TIMEOUT_MS) when it opens,
so every locking transaction — ``select_for_update``, a conditional ``UPDATE`` of stock or
capacity, a balance — waits at most that long for another one, then fails with a lock timeout
that :func:`retry_on_lock_timeout` retries and finally answers as 409 ``busy``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from ewtp.core import conf
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


def set_lock_timeout(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """``connection_created`` receiver: bound every lock wait of a new PostgreSQL connection."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # set_config(..., false): for the session, every transaction of this connection.
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, false)", [f"{conf.LOCK_TIMEOUT_MS()}ms"]
        )


def is_lock_timeout(error: BaseException) -> bool:
    """A lock wait that ran out (PostgreSQL's lock_not_available, SQLite's busy file)."""
    cause = getattr(error, "__cause__", None)
    if getattr(cause, "sqlstate", None) == "55P03":
        return True
    message = str(error).lower()
    return "lock timeout" in message or "database is locked" in message
