"""A real concurrent duplicate on PostgreSQL: the second request gets 409 while the first runs."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ewtp.core.errors import Conflict
from ewtp.core.models import AuditLog, IdempotencyRecord
from ewtp.core.services import (
    audit_record,
    idempotent_answer_keep,
    idempotent_call,
    request_fingerprint,
)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_duplicate_gets_409_and_a_later_replay_the_first_answer() -> None:
    assert connection.vendor == "postgresql"
    fingerprint = request_fingerprint({"visitors": 2})
    first_started = threading.Event()
    duplicate_done = threading.Event()
    outcomes: dict[str, Any] = {}

    def slow_call() -> tuple[int, Any]:
        first_started.set()
        # Hold the key until the duplicate has come and gone.
        assert duplicate_done.wait(timeout=20)
        audit_record(actor=None, action="test.booked")
        return 201, {"booking": "B1"}

    def first() -> None:
        try:
            outcomes["first"] = idempotent_call(
                scope="bookings", key="same-key", fingerprint=fingerprint, call=slow_call
            )
        except BaseException as error:
            outcomes["first"] = error
        finally:
            connection.close()

    def duplicate() -> None:
        try:
            assert first_started.wait(timeout=20)
            outcomes["duplicate"] = idempotent_call(
                scope="bookings",
                key="same-key",
                fingerprint=fingerprint,
                call=lambda: (201, {"booking": "B2"}),
            )
        except BaseException as error:
            outcomes["duplicate"] = error
        finally:
            duplicate_done.set()
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=duplicate)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes["first"] == (201, {"booking": "B1"})
    conflict = outcomes["duplicate"]
    assert isinstance(conflict, Conflict)
    assert conflict.code == "idempotency_in_progress"
    assert conflict.http_status == 409
    assert AuditLog.objects.filter(action="test.booked").count() == 1

    replay = idempotent_call(
        scope="bookings",
        key="same-key",
        fingerprint=fingerprint,
        call=lambda: (201, {"booking": "B3"}),
    )
    assert replay == (201, {"booking": "B1"})
    assert IdempotencyRecord.objects.filter(state="done").count() == 1
    assert AuditLog.objects.filter(action="test.booked").count() == 1


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_kept_refusal_alone_is_committed_asynchronously_and_a_callers_transaction_never() -> None:
    """Outside a transaction the refusal's row is its own transaction, committed without
    waiting for the WAL flush; the setting ends with it. Inside a caller's transaction (where
    money may move) nothing changes its durability."""
    assert connection.vendor == "postgresql"
    refusal = Conflict("sold_out", "Sold out.", extra={"remaining": 0})
    with CaptureQueriesContext(connection) as alone:
        idempotent_answer_keep(scope="t", key="alone", fingerprint="f", error=refusal)
    assert _synchronous_commit() == "on"
    with transaction.atomic():
        with CaptureQueriesContext(connection) as inside:
            idempotent_answer_keep(scope="t", key="inside", fingerprint="f", error=refusal)
        assert _synchronous_commit() == "on"
    assert ["synchronous_commit" in query["sql"] for query in alone.captured_queries] == [True]
    assert ["synchronous_commit" in query["sql"] for query in inside.captured_queries] == [False]
    assert sorted(IdempotencyRecord.objects.values_list("key", "response_status")) == [
        ("alone", 409),
        ("inside", 409),
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_alone_is_committed_asynchronously_and_the_answer_recorded_synchronously() -> None:
    """The claim may commit without waiting for the WAL flush (the answer's synchronous commit
    flushes it); the answer recorded, which a replay relies on, waits for it."""
    assert connection.vendor == "postgresql"
    with CaptureQueriesContext(connection) as claimed:
        answer = idempotent_call(
            scope="t", key="claim", fingerprint="f", call=lambda: (201, {"id": "B1"})
        )
    assert answer == (201, {"id": "B1"})
    assert _synchronous_commit() == "on"
    statements = [query["sql"] for query in claimed.captured_queries]
    assert [sql.split()[0] for sql in statements] == ["INSERT", "UPDATE"]
    assert ["synchronous_commit" in sql for sql in statements] == [True, False]
    record = IdempotencyRecord.objects.get(key="claim")
    assert (record.scope, record.fingerprint, record.state) == ("t", "f", "done")
    assert (record.response_status, record.response_body) == (201, {"id": "B1"})
    # A replay gets the first answer.
    assert idempotent_call(scope="t", key="claim", fingerprint="f", call=lambda: (500, {})) == (
        201,
        {"id": "B1"},
    )
