"""gunicorn hooks `ewtp serve` loads: each worker warms its caches before its first request;
a dead worker's metrics files are merged and released."""

from __future__ import annotations

import os
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Before the worker accepts a request: the URLconf and the quote snapshot (core.warmup),
    which its first requests built otherwise while the requests queued behind them waited."""
    from ewtp.core import warmup

    warmup.run()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
