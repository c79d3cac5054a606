"""core.rows: INSERTs, UPDATEs and reads written once per process give the ORM's rows and
values, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ewtp.core import clock, rows
from ewtp.core.models import AuditLog, IdempotencyRecord

pytestmark = pytest.mark.django_db


def _record(number: int, **extra: object) -> IdempotencyRecord:
    return IdempotencyRecord(
        scope="rows-test",
        key=f"key-{number}",
        fingerprint=f"{number:064d}",
        created_at=clock.now() + timedelta(seconds=number),
        **extra,  # type: ignore[arg-type]
    )


def _written(record: IdempotencyRecord) -> tuple[object, ...]:
    return (
        record.scope,
        record.key,
        record.fingerprint,
        record.state,
        record.response_status,
        record.response_body,
        record.created_at,
    )


@pytest.mark.parametrize("count", [1, 3, 60])  # 60 rows: past 50 parameters, arrays on PG
def test_rows_insert_writes_the_instances_in_one_statement_and_gives_their_ids(
    count: int,
) -> None:
    records = [
        _record(n, state="done", response_status=200 + n, response_body={"n": n, "l": [n]})
        for n in range(count)
    ]
    with CaptureQueriesContext(connection) as queries:
        rows.rows_insert(records)
    assert len(queries.captured_queries) == 1
    assert all(not r._state.adding and r.pk is not None for r in records)
    read = {r.pk: r for r in IdempotencyRecord.objects.filter(scope="rows-test")}
    assert sorted(read) == sorted(r.pk for r in records)
    for record in records:  # each id names the row of its own instance
        assert _written(read[record.pk]) == _written(record)


def test_rows_insert_without_returning_writes_the_defaults_and_foreign_keys() -> None:
    alice = get_user_model().objects.create_user("alice@example.org", "a long password 1")
    now = clock.now()
    entries = [
        AuditLog(actor=alice, actor_label="alice", action="rows.test", created_at=now),
        AuditLog(actor=None, action="rows.test", data={"a": "é"}, created_at=now),
    ]
    rows.rows_insert(entries, returning=False)
    written = list(
        AuditLog.objects.filter(action="rows.test")
        .order_by("pk")
        .values_list("actor_id", "actor_label", "data", "created_at")
    )
    assert written == [(alice.pk, "alice", {}, now), (None, "", {"a": "é"}, now)]


def test_row_update_writes_the_named_columns_and_respects_the_null_condition() -> None:
    record = _record(1)
    rows.rows_insert([record])
    record.state, record.response_status, record.response_body = "done", 201, {"ok": True}
    record.key = "not written"
    assert rows.row_update(record, ("state", "response_status", "response_body")) == 1
    read = IdempotencyRecord.objects.get(pk=record.pk)
    assert (read.key, read.state, read.response_status, read.response_body) == (
        "key-1",
        "done",
        201,
        {"ok": True},
    )
    # Only while the column is NULL: it is 201 now, so nothing is written.
    record.response_status = 409
    assert rows.row_update(record, ("response_status",), unset="response_status") == 0
    assert IdempotencyRecord.objects.get(pk=record.pk).response_status == 201


def test_row_by_reads_what_the_orm_reads_or_none() -> None:
    record = _record(2, response_body={"x": [1, 2]})
    rows.rows_insert([record])
    found = rows.row_by(IdempotencyRecord, "id", record.pk)
    assert found is not None and not found._state.adding
    assert _written(found) == _written(IdempotencyRecord.objects.get(pk=record.pk))
    assert rows.row_by(IdempotencyRecord, "id", record.pk + 1000) is None
    with pytest.raises(Exception, match="must be an integer"):
        rows.row_by(IdempotencyRecord, "id", "not a number")


def test_rows_insert_together_writes_every_kind_in_one_statement_on_postgresql() -> None:
    now = clock.now()
    records = [_record(n, response_body=[n]) for n in range(3)]
    entries = [AuditLog(action="rows.together", target_id=str(n), created_at=now) for n in range(2)]
    with CaptureQueriesContext(connection) as queries:
        rows.rows_insert_together([records, [], entries])
    assert len(queries.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    read = IdempotencyRecord.objects.filter(scope="rows-test").order_by("key")
    assert [(r.key, r.response_body) for r in read] == [(f"key-{n}", [n]) for n in range(3)]
    written = AuditLog.objects.filter(action="rows.together").order_by("target_id")
    assert [(a.target_id, a.created_at) for a in written] == [("0", now), ("1", now)]
