"""Jobs the worker runs on a schedule (expiring holds, retrying deliveries, polling providers).

Apps register them in AppConfig.ready(); `ewtp worker` runs each when it is due. Every job is
idempotent, so a job run twice, or by two workers, does no harm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Callable[[], object]
    every_seconds: int


_JOBS: dict[str, PeriodicJob] = {}


def register(name: str, run: Callable[[], object], *, every_seconds: int = 30) -> None:
    _JOBS[name] = PeriodicJob(name, run, every_seconds)


def jobs() -> list[PeriodicJob]:
    return sorted(_JOBS.values(), key=lambda job: job.name)
