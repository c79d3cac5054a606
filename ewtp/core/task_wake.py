"""Wake `ewtp worker` when a task is queued: on PostgreSQL it waits on LISTEN, and a trigger on
the task table (migration core 0004) notifies at the commit of the transaction that queued one.

Without it the worker looks for tasks every `EWTP_WORKER_INTERVAL` seconds: a payer waiting for
the sandbox's webhook waited up to that long, and a shorter interval polls the database more.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import connection

from ewtp.core import conf

CHANNEL = "ewtp_task_queued"
logger = logging.getLogger("ewtp.worker")


class TaskWake:
    """The worker's wait between two looks at the queue (a connection of its own, listening)."""

    def __init__(self) -> None:
        self._listener: Any = None

    @property
    def listening(self) -> bool:
        return self._listener is not None

    def listen(self) -> None:
        """Listen from now on (before the queue is read, so that no wake-up is missed);
        nothing on SQLite, with EWTP_WORKER_LISTEN off, or while the database is away."""
        if self._listener is not None or connection.vendor != "postgresql":
            return
        if not conf.WORKER_LISTEN():
            return
        import psycopg

        try:
            listener = psycopg.connect(**connection.get_connection_params(), autocommit=True)
            listener.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as error:
            logger.warning("cannot listen for queued tasks (%s); polling", error)
            return
        self._listener = listener

    def wait(self, seconds: float) -> bool:
        """Until a task is queued or ``seconds`` have passed; True when woken by a task."""
        if self._listener is None:
            time.sleep(seconds)
            return False
        import psycopg

        try:
            woken = any(True for _ in self._listener.notifies(timeout=seconds, stop_after=1))
            for _ in self._listener.notifies(timeout=0):  # the wake-ups that came with it
                pass
        except psycopg.Error as error:  # the database went away: listen again later
            logger.warning("stopped listening for queued tasks (%s)", error)
            self.close()
            time.sleep(seconds)
            return False
        return woken

    def close(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            finally:
                self._listener = None
