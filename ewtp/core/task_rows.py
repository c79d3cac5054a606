"""A background task queued by a row written in the caller's own transaction.

``task.enqueue`` after commit costs a request a statement of its own once its transaction has
committed, and a process that dies between the two loses the task (a buyer never told of an
order). ``task_row`` builds the task's row of django-tasks-db instead, as its backend would
write it, for the caller to INSERT with its other rows (``rows.rows_insert_together``): the
task is queued exactly when they are committed, and the worker's wake-up trigger fires then.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model
from django.db.models.signals import pre_save
from django.tasks import Task
from django.utils.json import normalize_json
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult


def task_row(task: Task[..., Any], *args: Any) -> Model | None:
    """The unsaved row that queues ``task(*args)``, or None when the task's backend does not
    keep its queue in this database (the immediate backend of development and tests): the
    caller then enqueues the task after commit."""
    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return None
    backend.validate_task(task)
    row: DBTaskResult[Any, Any] = DBTaskResult(
        id=backend._get_id(),  # the backend's id function, as its own enqueue uses
        args_kwargs=normalize_json({"args": list(args), "kwargs": {}}),
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=task.run_after,  # type: ignore[misc]  # None: set before the INSERT (below)
        backend_name=backend.alias,
    )
    # What save() does before its INSERT: django-tasks-db's handler sets a missing run_after.
    pre_save.send(
        sender=DBTaskResult, instance=row, raw=False, using=DEFAULT_DB_ALIAS, update_fields=None
    )
    return row
