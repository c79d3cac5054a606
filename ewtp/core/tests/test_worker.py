"""`ewtp worker` outlives a database that goes away: it waits, reconnects and carries on."""

from __future__ import annotations

import io
import os
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError

from ewtp.core.management.commands import worker


@pytest.fixture(autouse=True)
def _no_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's own connection handling, out of the way: these tests fake the database."""
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker.connections, "close_all", lambda: None)


def test_the_worker_waits_with_back_off_while_the_database_refuses_then_resumes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    pauses: list[float] = []

    def queued() -> None:
        calls.append("tasks")
        if len(calls) <= 3:
            raise OperationalError('connection to server at "127.0.0.1" failed: refused')

    monkeypatch.setattr(worker, "run_queued", queued)
    monkeypatch.setattr(worker.time, "sleep", pauses.append)
    monkeypatch.setattr(worker.periodic, "jobs", lambda: [])
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert calls == ["tasks"] * 4  # three refusals, then the work is done
    assert pauses == [1.0, 2.0, 4.0]
    assert "worker started" in out.getvalue()


def test_a_job_that_fails_for_its_own_reasons_does_not_stop_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ewtp.core.periodic import PeriodicJob

    ran: list[str] = []

    def broken() -> None:
        raise ValueError("a bug in one job")

    jobs = [PeriodicJob("a", broken, 30), PeriodicJob("b", lambda: ran.append("b"), 30)]
    monkeypatch.setattr(worker, "run_queued", lambda: None)
    monkeypatch.setattr(worker.periodic, "jobs", lambda: jobs)
    call_command("worker", "--once", stdout=io.StringIO())
    assert ran == ["b"]


@pytest.mark.django_db(transaction=True)
def test_each_wake_up_runs_every_due_task_with_one_worker_of_the_process(settings: Any) -> None:
    """The queue's worker is made once a process (a wake-up no longer builds a command and its
    parser); each call still runs every task that is due, then returns."""
    from django_tasks_db.models import DBTaskResult

    from ewtp.core.tests.tasks_for_tests import note_task

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    note_task.enqueue("first")
    worker.run_queued()
    note_task.enqueue("second")
    note_task.enqueue("third")
    worker.run_queued()

    assert sorted(r.return_value for r in DBTaskResult.objects.all()) == [
        "first",
        "second",
        "third",
    ]
    assert {r.status for r in DBTaskResult.objects.all()} == {"SUCCESSFUL"}
    assert worker._queue_worker() is worker._queue_worker()


def test_the_worker_lowers_its_priority_to_its_niceness_and_never_raises_it() -> None:
    """In a process of its own: a process cannot take a priority back once it gave it up."""
    import subprocess
    import sys

    script = (
        "import os\n"
        "from ewtp.core.management.commands.worker import yield_to_requests\n"
        "yield_to_requests(10); first = os.getpriority(os.PRIO_PROCESS, 0)\n"
        "yield_to_requests(4); second = os.getpriority(os.PRIO_PROCESS, 0)\n"
        "print(first, second)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    lowered = str(max(10, os.getpriority(os.PRIO_PROCESS, 0)))  # this process's is inherited
    assert done.stdout.split() == [lowered, lowered]


def test_asked_to_stop_during_a_task_the_worker_finishes_it_then_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGTERM during a task (django-tasks-db's handler clears ``running``): the task runs to
    its end, and the worker leaves its loop instead of waking again to a queue it no longer
    reads."""
    from types import SimpleNamespace

    queue = SimpleNamespace(running=True, signals=0)
    queue.configure_signals = lambda: setattr(queue, "signals", queue.signals + 1)
    rounds: list[int] = []

    def one_round() -> None:
        if rounds:
            raise AssertionError("the worker went on after it was asked to stop")
        rounds.append(1)
        queue.running = False  # what the handler does when the signal comes during a task

    monkeypatch.setattr(worker, "_queue_worker", lambda: queue)
    monkeypatch.setattr(worker, "run_queued", one_round)
    monkeypatch.setattr(worker.periodic, "jobs", lambda: [])
    call_command("worker", "--interval", "0", stdout=io.StringIO())
    assert (rounds, queue.signals) == ([1], 1)
