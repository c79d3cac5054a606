"""The database router: the insights pages read from the replica, everything else the primary.

Active only when DATABASE_REPLICA_URL is set (settings add the ``replica`` alias and this
router). Writes, migrations and every read outside an insights page use ``default``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from ewtp.core.replica import REPLICA, replica_configured, replica_wanted

# Read from the primary always: a replica that lags must not log anyone out or in.
PRIMARY_ONLY_APPS = frozenset(
    {"auth", "sessions", "contenttypes", "accounts", "django_tasks_database"}
)


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if (
            replica_wanted()
            and replica_configured()
            and model._meta.app_label not in PRIMARY_ONLY_APPS
        ):
            return REPLICA
        return "default"

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db == "default"
