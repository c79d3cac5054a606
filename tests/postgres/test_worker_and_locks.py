"""On PostgreSQL: a real `ewtp worker` survives its database refusing connections for a while,
and every locking transaction waits at most EWTP_LOCK_TIMEOUT_MS for a lock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ewtp.core.errors import Conflict
from ewtp.core.locks import is_lock_timeout, lock_rows, retry_on_lock_timeout
from ewtp.ledger.models import Account
from tests.postgres.servers import database_url, environment, running


def _done(task_id: str, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if DBTaskResult.objects.filter(id=task_id, status="SUCCESSFUL").exists():
            return
        time.sleep(0.3)
    raise AssertionError(f"task {task_id} not run in {seconds} s: {log.read_text()[-2000:]}")


def _server_url() -> str:
    return database_url().rsplit("/", 1)[0] + "/postgres"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_survives_the_database_refusing_it_then_runs_what_was_queued(
    tmp_path: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    from ewtp.payments.tasks import payments_expire

    name = connection.settings_dict["NAME"]
    log = tmp_path / "worker.log"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with running(["worker", "--interval", "0.2"], log, environment()) as worker:
        _done(payments_expire.enqueue().id, log)  # the worker is up and working
        with psycopg.connect(_server_url(), autocommit=True) as server:
            server.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            connection.close()  # ours too: no backend of the test database survives
            server.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [name],
            )
            time.sleep(6)  # the worker is refused, several times
            assert worker.poll() is None, log.read_text()[-2000:]
            server.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        queued = payments_expire.enqueue()
        _done(queued.id, log)
        assert worker.poll() is None
    text = log.read_text()
    assert DBTaskResult.objects.get(id=queued.id).status == "SUCCESSFUL", text[-3000:]
    assert "database unavailable" in text
    assert "database reachable again; worker resumed" in text
    print(f"\nworker: refused {text.count('database unavailable')} times, then resumed")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_queued_task_wakes_the_waiting_worker_at_once(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    """The worker waits on LISTEN, not its interval: a task queued while it waits starts at
    once (it used to wait up to the interval, here a minute)."""
    from ewtp.payments.tasks import payments_expire

    log = tmp_path / "worker.log"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with running(["worker", "--interval", "60"], log, environment()) as worker:
        _done(payments_expire.enqueue().id, log)  # the worker is up and working
        time.sleep(1.5)  # and now waiting
        started = time.monotonic()
        _done(payments_expire.enqueue().id, log, seconds=10)
        waited = time.monotonic() - started
        assert worker.poll() is None
    assert waited < 10
    print(f"\nworker: a task queued while it waited ran after {waited:.2f} s")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_transaction_waits_no_longer_than_the_lock_timeout(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EWTP_LOCK_TIMEOUT_MS = 300
    connections.close_all()  # new connections take the setting
    account = Account.objects.create(
        code="lock-test",
        name="Lock test",
        kind="asset",
        currency="RWF",
        purpose="test",
        created_at=timezone.now(),
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "300ms"
    holding = threading.Event()
    release = threading.Event()

    def holder() -> None:
        try:
            with transaction.atomic():
                lock_rows(Account.objects.filter(pk=account.pk))
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        with pytest.raises(OperationalError) as raised, transaction.atomic():
            lock_rows(Account.objects.filter(pk=account.pk))
        waited = time.monotonic() - started
        assert is_lock_timeout(raised.value)
        assert 0.25 <= waited < 2.0

        # Retried, then a clear 409 busy instead of a wait without end.
        def locked() -> list[Account]:
            with transaction.atomic():
                return lock_rows(Account.objects.filter(pk=account.pk))

        with pytest.raises(Conflict) as busy:
            retry_on_lock_timeout(locked)
        assert busy.value.code == "busy"
    finally:
        release.set()
        thread.join(10)
    assert len(locked()) == 1  # free again once the holder is done
