"""Money work that always finishes: retried with doubling back-off, or parked with its reason.

A task has a name (its registered function), a unique key (so that asking twice makes one
task) and JSON arguments. `money_task_enqueue` records it and, outside a transaction, tries it
at once; the worker's periodic job tries every task that is due. A task raising `Permanent` is
parked at once; any other error is retried until EWTP_MONEY_TASK_MAX_ATTEMPTS, then parked.
The operator sees parked tasks at /pay/operator/ and may put one back in the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction

from ewtp.core import clock, conf
from ewtp.core.services import audit_record
from ewtp.core.transactions import in_transaction
from ewtp.payments.models import MoneyTask

log = logging.getLogger(__name__)

BASE_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 6 * 3600
LEASE_SECONDS = 300

_HANDLERS: dict[str, Callable[..., object]] = {}


class Permanent(Exception):
    """A failure that retrying cannot mend: the task is parked for the operator at once."""


def task_register(name: str, run: Callable[..., object]) -> None:
    _HANDLERS[name] = run


def back_off(attempts: int) -> timedelta:
    return timedelta(seconds=min(BASE_DELAY_SECONDS * 2 ** max(attempts - 1, 0), MAX_DELAY_SECONDS))


def money_task_enqueue(
    name: str, *, key: str, args: dict[str, Any], run_now: bool = True
) -> MoneyTask:
    """Record the task once (by key); outside a transaction try it at once, inside after commit."""
    if name not in _HANDLERS:
        raise KeyError(f"no money task {name!r}")
    if run_now and not in_transaction():
        fresh = _create_claimed(name, key, args)
        if fresh is not None:
            _attempt(fresh)
            return fresh
    task, _created = MoneyTask.objects.get_or_create(
        key=key,
        defaults={
            "name": name,
            "args": args,
            "next_attempt_at": clock.now(),
            "created_at": clock.now(),
        },
    )
    if run_now and task.status == MoneyTask.Status.PENDING:
        if in_transaction():
            transaction.on_commit(lambda: money_task_attempt(task_id=task.pk))
        else:
            money_task_attempt(task_id=task.pk)
            task.refresh_from_db()
    return task


def _create_claimed(name: str, key: str, args: dict[str, Any]) -> MoneyTask | None:
    """A new task, written already taken for its first attempt (the lease of ``_claim``): one
    INSERT where a look-up, an INSERT, the claim and a read were. None when the key exists."""
    now = clock.now()
    task = MoneyTask(
        key=key,
        name=name,
        args=args,
        next_attempt_at=now + timedelta(seconds=LEASE_SECONDS),
        created_at=now,
    )
    try:
        if connection.in_atomic_block:  # a test's transaction: keep it usable after a refusal
            with transaction.atomic():
                task.save(force_insert=True)
        else:  # autocommit: a refused INSERT undoes nothing else
            task.save(force_insert=True)
    except IntegrityError:  # asked before
        return None
    return task


def _claim(task_id: int) -> MoneyTask | None:
    """Take the task for one attempt (a lease), so that two workers never run it together."""
    now = clock.now()
    claimed = MoneyTask.objects.filter(
        pk=task_id, status=MoneyTask.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + timedelta(seconds=LEASE_SECONDS))
    return MoneyTask.objects.get(pk=task_id) if claimed else None


def money_task_attempt(*, task_id: int) -> bool:
    """One attempt of a due task; True when it is done."""
    task = _claim(task_id)
    return False if task is None else _attempt(task)


def _attempt(task: MoneyTask) -> bool:
    """Run a claimed task once; the row and ``task`` say how it went."""
    handler = _HANDLERS.get(task.name)
    try:
        if handler is None:
            raise Permanent(f"no handler registered for {task.name}")
        handler(**task.args)
    except Exception as error:
        _record_failure(task, error)
        return False
    task.status, task.attempts = MoneyTask.Status.DONE, task.attempts + 1
    task.finished_at, task.last_error = clock.now(), ""
    MoneyTask.objects.filter(pk=task.pk).update(
        status=task.status,
        attempts=task.attempts,
        finished_at=task.finished_at,
        last_error="",
    )
    return True


def _record_failure(task: MoneyTask, error: Exception) -> None:
    attempts = task.attempts + 1
    reason = f"{type(error).__name__}: {error}"[:500]
    parked = isinstance(error, Permanent) or attempts >= conf.MONEY_TASK_MAX_ATTEMPTS()
    log.warning("money task %s %s failed (attempt %d): %s", task.name, task.key, attempts, reason)
    task.attempts, task.last_error = attempts, reason
    task.status = MoneyTask.Status.PARKED if parked else MoneyTask.Status.PENDING
    task.next_attempt_at = clock.now() + back_off(attempts)
    task.finished_at = clock.now() if parked else None
    MoneyTask.objects.filter(pk=task.pk).update(
        attempts=attempts,
        last_error=reason,
        status=task.status,
        next_attempt_at=task.next_attempt_at,
        finished_at=task.finished_at,
    )
    if parked:
        audit_record(
            actor=None, action="payments.money_task.parked", target=task, data={"reason": reason}
        )


def money_tasks_run_due(limit: int = 100) -> int:
    """The worker's job: try every task whose time has come; returns how many finished."""
    due = MoneyTask.objects.filter(
        status=MoneyTask.Status.PENDING, next_attempt_at__lte=clock.now()
    ).order_by("next_attempt_at")
    return sum(
        money_task_attempt(task_id=pk) for pk in list(due.values_list("pk", flat=True)[:limit])
    )


@transaction.atomic
def money_task_requeue(*, actor: Any, task: MoneyTask) -> MoneyTask:
    """The operator puts a parked task back in the queue (after mending its cause)."""
    from ewtp.accounts.selectors import is_platform_operator
    from ewtp.core.errors import PermissionDenied

    if not is_platform_operator(actor):
        raise PermissionDenied("forbidden", "Only the platform operator may retry a task.")
    MoneyTask.objects.filter(pk=task.pk, status=MoneyTask.Status.PARKED).update(
        status=MoneyTask.Status.PENDING, next_attempt_at=clock.now(), attempts=0, finished_at=None
    )
    audit_record(actor=actor, action="payments.money_task.requeued", target=task)
    task.refresh_from_db()
    return task
