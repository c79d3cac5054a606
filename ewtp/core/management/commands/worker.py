"""`ewtp worker`: runs queued background tasks and the periodic jobs of every app."""

from __future__ import annotations

import functools
import logging
import os
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, close_old_connections, connections

from ewtp.core import conf, periodic
from ewtp.core.locks import is_lock_timeout
from ewtp.core.task_wake import TaskWake

logger = logging.getLogger("ewtp.worker")


@functools.cache
def _queue_worker() -> Any:
    """django-tasks-db's worker, made once a process: its `db_worker` command, called on
    every wake-up, built an argument parser and a worker each time (about 1 ms of the 3 a
    wake-up cost), and in a burst of checkouts the worker wakes for nearly each one."""
    from django.utils.crypto import get_random_string
    from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
    from django_tasks_db.management.commands.db_worker import Worker

    # As `db_worker --verbosity 0`: its per-batch notes are not logged.
    logging.getLogger("django_tasks_db").setLevel(logging.CRITICAL)
    logging.getLogger("django.tasks").setLevel(logging.CRITICAL)
    return Worker(
        queue_names=[DEFAULT_TASK_QUEUE_NAME],
        interval=0,
        batch=True,  # every task that is due, then back to the caller
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )


def yield_to_requests(niceness: int) -> None:
    """Run at ``niceness`` (at least): in a burst of checkouts on a machine that also serves
    them, the placed mails waited a second while the checkouts took the processor, instead
    of taking a fifth of it (a process may lower its priority, never raise it)."""
    if not hasattr(os, "getpriority"):  # not a POSIX system
        return
    increment = niceness - os.getpriority(os.PRIO_PROCESS, 0)
    if increment > 0:
        os.nice(increment)


def run_queued() -> None:
    """Every queued task that is due, one after the other, then return."""
    _queue_worker().run()


# Waits between attempts while the database is unreachable: 1, 2, 4 ... up to 30 seconds.
BACKOFF_FIRST, BACKOFF_MOST = 1.0, 30.0


class Command(BaseCommand):
    help = "Run the background task worker (task queue and periodic jobs)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="seconds to wait when there is nothing to do (default: EWTP_WORKER_INTERVAL; "
            "on PostgreSQL a queued task wakes the worker sooner)",
        )
        parser.add_argument(
            "--once", action="store_true", help="process what is due once, then exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = conf.WORKER_INTERVAL() if options["interval"] is None else options["interval"]
        yield_to_requests(conf.WORKER_NICE())
        if not options["once"]:
            # SIGTERM or SIGINT: at once between tasks; during one, once it has finished.
            _queue_worker().configure_signals()
        wake = TaskWake()
        try:
            self._loop(wake, interval, once=options["once"])
        finally:
            wake.close()

    def _loop(self, wake: TaskWake, interval: float, *, once: bool) -> None:
        last_run: dict[str, float] = {}
        self.stdout.write("eWTP worker started")
        pause = 0.0  # > 0 while the database is unreachable
        while True:
            try:
                close_old_connections()
                if not once:
                    wake.listen()  # before the queue is read: a task queued after is not missed
                if pause and wake.listening:  # connected: said before any task runs
                    logger.warning("database reachable again; worker resumed")
                    pause = 0.0
                self._run_due(last_run, once=once)
            except (OperationalError, InterfaceError) as error:
                if not is_lock_timeout(error):
                    # A restart, a fail-over or a refused connection: wait, reconnect, go on.
                    pause = min(max(pause * 2, BACKOFF_FIRST), BACKOFF_MOST)
                    logger.warning("database unavailable (%s); retrying in %.0f s", error, pause)
                    connections.close_all()
                    wake.close()
                    time.sleep(pause)
                    continue
                logger.warning("a task waited too long for a lock: %s", error)
            if pause:
                logger.warning("database reachable again; worker resumed")
                pause = 0.0
            if once or not _queue_worker().running:  # asked to stop while a task ran
                return
            wake.wait(interval)

    @staticmethod
    def _run_due(last_run: dict[str, float], *, once: bool) -> None:
        """The queued tasks, then every periodic job that is due."""
        run_queued()
        now = time.monotonic()
        for job in periodic.jobs():
            if once or now - last_run.get(job.name, -1e9) >= job.every_seconds:
                last_run[job.name] = now
                try:
                    result = job.run()
                except (OperationalError, InterfaceError) as error:
                    if not is_lock_timeout(error):
                        raise  # the database is gone: the loop waits for it
                    logger.warning("periodic job %s waited too long for a lock", job.name)
                except Exception:  # one failing job must not stop the others
                    logger.exception("periodic job %s failed", job.name)
                else:
                    logger.debug("periodic job %s: %s", job.name, result)
