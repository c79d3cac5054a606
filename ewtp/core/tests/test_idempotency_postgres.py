"""A real concurrent duplicate on PostgreSQL: the second request gets 409 while the first runs."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from ewtp.core.errors import Conflict
from ewtp.core.models import AuditLog, IdempotencyRecord
from ewtp.core.services import audit_record, idempotent_call, request_fingerprint


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
