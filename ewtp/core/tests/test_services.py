"""audit_record and idempotent_call: the rows they write, replays, conflicts and failures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from ewtp.core import clock
from ewtp.core.errors import Conflict, DomainError, InvalidRequest, NotFound
from ewtp.core.models import AuditLog, IdempotencyRecord
from ewtp.core.services import (
    audit_record,
    idempotency_key_of,
    idempotent_answer_keep,
    idempotent_call,
    request_fingerprint,
    with_answer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_audit() -> Any:
    """The audit entries written by the test (migrations may have written some before)."""
    baseline = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return lambda: AuditLog.objects.filter(pk__gt=baseline)


@pytest.fixture
def alice() -> Any:
    return get_user_model().objects.create_user("alice@example.org", "a long password 1")


# audit_record ------------------------------------------------------------------------------


def test_audit_record_writes_actor_action_and_target(alice: Any, new_audit: Any) -> None:
    entry = audit_record(
        actor=alice,
        action="accounts.user.tested",
        target=alice,
        data={"reason": "test"},
        organisation_ref="org-1",
    )
    stored = new_audit().get()
    assert stored.pk == entry.pk
    assert stored.actor == alice
    assert stored.actor_label == "alice@example.org"
    assert stored.action == "accounts.user.tested"
    assert stored.target_type == "accounts.User"
    assert stored.target_id == str(alice.public_id)
    assert stored.organisation_ref == "org-1"
    assert stored.data == {"reason": "test"}
    assert abs((clock.now() - stored.created_at).total_seconds()) < 5


def test_audit_record_for_the_system_and_without_a_target(new_audit: Any) -> None:
    audit_record(actor=None, action="core.tick")
    entry = new_audit().get()
    assert entry.actor is None
    assert entry.actor_label == "system"
    assert entry.target_type == ""
    assert entry.target_id == ""
    assert entry.data == {}


def test_audit_record_names_a_non_user_actor(new_audit: Any) -> None:
    audit_record(actor="payments worker", action="payments.polled")
    assert new_audit().get().actor_label == "payments worker"


def test_audit_entries_are_append_only(alice: Any, new_audit: Any) -> None:
    entry = audit_record(actor=alice, action="accounts.user.tested")
    entry.action = "something.else"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    assert new_audit().get().action == "accounts.user.tested"


# idempotent_call ---------------------------------------------------------------------------


class Counter:
    """A call that creates one audit row per run and answers 201 with its number."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self) -> tuple[int, Any]:
        self.runs += 1
        audit_record(actor=None, action="test.created", data={"run": self.runs})
        return 201, {"id": self.runs}


def test_replay_returns_the_first_answer_and_creates_nothing_new(new_audit: Any) -> None:
    call = Counter()
    fingerprint = request_fingerprint({"amount": "10.00"})
    first = idempotent_call(scope="test", key="k1", fingerprint=fingerprint, call=call)
    second = idempotent_call(scope="test", key="k1", fingerprint=fingerprint, call=call)
    assert first == (201, {"id": 1})
    assert second == (201, {"id": 1})
    assert call.runs == 1
    assert new_audit().count() == 1
    record = IdempotencyRecord.objects.get()
    assert (record.scope, record.key, record.state) == ("test", "k1", "done")
    assert (record.response_status, record.response_body) == (201, {"id": 1})


def test_the_same_key_in_another_scope_is_another_request() -> None:
    call = Counter()
    fingerprint = request_fingerprint({})
    assert idempotent_call(scope="a", key="k", fingerprint=fingerprint, call=call) == (
        201,
        {"id": 1},
    )
    assert idempotent_call(scope="b", key="k", fingerprint=fingerprint, call=call) == (
        201,
        {"id": 2},
    )
    assert IdempotencyRecord.objects.count() == 2


def test_a_different_body_with_the_same_key_is_refused_with_422(new_audit: Any) -> None:
    call = Counter()
    idempotent_call(scope="test", key="k1", fingerprint=request_fingerprint({"a": 1}), call=call)
    with pytest.raises(DomainError) as caught:
        idempotent_call(
            scope="test", key="k1", fingerprint=request_fingerprint({"a": 2}), call=call
        )
    assert caught.value.code == "idempotency_key_reused"
    assert caught.value.http_status == 422
    assert call.runs == 1
    assert new_audit().count() == 1


def test_a_duplicate_while_the_first_is_in_progress_gets_409() -> None:
    fingerprint = request_fingerprint({"a": 1})
    IdempotencyRecord.objects.create(
        scope="test", key="k1", fingerprint=fingerprint, created_at=clock.now()
    )
    call = Counter()
    with pytest.raises(Conflict) as caught:
        idempotent_call(scope="test", key="k1", fingerprint=fingerprint, call=call)
    assert caught.value.code == "idempotency_in_progress"
    assert caught.value.http_status == 409
    assert call.runs == 0
    assert IdempotencyRecord.objects.get().state == "in_progress"


def test_a_key_left_in_progress_by_a_dead_request_is_taken_over() -> None:
    fingerprint = request_fingerprint({"a": 1})
    IdempotencyRecord.objects.create(
        scope="test",
        key="k1",
        fingerprint=fingerprint,
        created_at=clock.now() - timedelta(minutes=11),
    )
    call = Counter()
    assert idempotent_call(scope="test", key="k1", fingerprint=fingerprint, call=call) == (
        201,
        {"id": 1},
    )
    record = IdempotencyRecord.objects.get()
    assert (record.state, record.response_status) == ("done", 201)


def test_a_domain_error_is_an_answer_and_is_replayed() -> None:
    runs = []

    def refuse() -> tuple[int, Any]:
        runs.append(1)
        raise Conflict("sold_out", "Sold out.", extra={"remaining": 0})

    fingerprint = request_fingerprint({})
    expected = (409, {"code": "sold_out", "message": "Sold out.", "remaining": 0})
    assert idempotent_call(scope="t", key="k", fingerprint=fingerprint, call=refuse) == expected
    assert idempotent_call(scope="t", key="k", fingerprint=fingerprint, call=refuse) == expected
    assert len(runs) == 1


def test_a_kept_refusal_is_the_keys_first_answer_and_a_taken_key_keeps_its_own() -> None:
    fingerprint = request_fingerprint({"visitors": 2})
    before = clock.now()
    idempotent_answer_keep(
        scope="t",
        key="k",
        fingerprint=fingerprint,
        error=Conflict("sold_out", "Sold out.", extra={"remaining": 1}),
    )
    idempotent_answer_keep(
        scope="t",
        key="k",
        fingerprint=fingerprint,
        error=Conflict("sold_out", "Another answer.", extra={"remaining": 0}),
    )
    record = IdempotencyRecord.objects.get()
    expected = {"code": "sold_out", "message": "Sold out.", "remaining": 1}
    assert (record.scope, record.key, record.fingerprint, record.state) == (
        "t",
        "k",
        fingerprint,
        "done",
    )
    assert (record.response_status, record.response_body) == (409, expected)
    assert before <= record.created_at <= clock.now()

    def must_not_run() -> tuple[int, Any]:
        raise AssertionError("a replay runs nothing")

    assert idempotent_call(scope="t", key="k", fingerprint=fingerprint, call=must_not_run) == (
        409,
        expected,
    )


def test_a_transient_error_forgets_the_key() -> None:
    def busy() -> tuple[int, Any]:
        raise Conflict("busy", "Busy.")

    with pytest.raises(Conflict):
        idempotent_call(scope="t", key="k", fingerprint="f", call=busy)
    assert IdempotencyRecord.objects.count() == 0


def test_an_unexpected_exception_forgets_the_key_so_a_retry_runs() -> None:
    def explode() -> tuple[int, Any]:
        raise RuntimeError("provider down")

    fingerprint = request_fingerprint({"a": 1})
    with pytest.raises(RuntimeError, match="provider down"):
        idempotent_call(scope="test", key="k1", fingerprint=fingerprint, call=explode)
    assert IdempotencyRecord.objects.count() == 0
    call = Counter()
    assert idempotent_call(scope="test", key="k1", fingerprint=fingerprint, call=call) == (
        201,
        {"id": 1},
    )


@pytest.mark.parametrize("key", ["", "x" * 201])
def test_a_key_must_be_1_to_200_characters(key: str) -> None:
    call = Counter()
    with pytest.raises(InvalidRequest) as caught:
        idempotent_call(scope="t", key=key, fingerprint="f", call=call)
    assert caught.value.code == "invalid_idempotency_key"
    assert caught.value.fields == {"Idempotency-Key": "1 to 200 characters"}
    assert call.runs == 0
    assert IdempotencyRecord.objects.count() == 0


def test_request_fingerprint_ignores_key_order() -> None:
    assert request_fingerprint({"a": 1, "b": [1, 2]}) == request_fingerprint({"b": [1, 2], "a": 1})
    assert request_fingerprint({"a": 1}) != request_fingerprint({"a": 2})


def test_idempotency_key_of_reads_the_header() -> None:
    factory = RequestFactory()
    request = factory.post("/x", headers={"Idempotency-Key": " abc "})
    assert idempotency_key_of(request) == "abc"
    with pytest.raises(InvalidRequest) as caught:
        idempotency_key_of(factory.post("/x"))
    assert caught.value.code == "idempotency_key_required"


def test_not_found_is_a_404_domain_error() -> None:
    error = NotFound("not_found", "No such thing.")
    assert error.http_status == 404
    assert error.as_dict() == {"code": "not_found", "message": "No such thing."}


# with_answer ---------------------------------------------------------------------------------


def _answered_with(call: Any) -> Any:
    """A kept answer's record and an audit row whose label the call changes with its answer."""
    entry = audit_record(actor=None, action="with.answer")
    entry.actor_label = "written with the answer"

    def wrapped() -> Any:
        with_answer(entry, ("actor_label",))
        assert AuditLog.objects.get(pk=entry.pk).actor_label == "system"  # not yet
        return call()

    return entry, wrapped


@pytest.mark.django_db(transaction=True)  # as in a request: no transaction around the call
def test_with_answer_writes_the_row_with_the_answer_in_one_statement_on_postgresql() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    entry, call = _answered_with(lambda: (201, {"ok": True}))
    with CaptureQueriesContext(connection) as queries:
        answer = idempotent_call(scope="t", key="with-answer", fingerprint="f", call=call)
    assert answer == (201, {"ok": True})
    assert AuditLog.objects.get(pk=entry.pk).actor_label == "written with the answer"
    record = IdempotencyRecord.objects.get(scope="t", key="with-answer")
    assert (record.state, record.response_status) == ("done", 201)
    last = queries.captured_queries[-1]["sql"]
    # The claim, the call's check that the row waits, then both rows: one statement on
    # PostgreSQL, one UPDATE each on SQLite.
    if connection.vendor == "postgresql":
        assert len(queries.captured_queries) == 3 and last.startswith("WITH w0 AS (UPDATE")
    else:
        assert len(queries.captured_queries) == 4


@pytest.mark.django_db(transaction=True)
def test_with_answer_writes_the_row_when_the_call_fails_and_at_once_outside_a_call() -> None:
    def boom() -> Any:
        raise RuntimeError("boom")

    entry, call = _answered_with(boom)
    with pytest.raises(RuntimeError):
        idempotent_call(scope="t", key="with-failure", fingerprint="f", call=call)
    assert AuditLog.objects.get(pk=entry.pk).actor_label == "written with the answer"
    assert not IdempotencyRecord.objects.filter(scope="t", key="with-failure").exists()

    entry.actor_label = "at once"
    with_answer(entry, ("actor_label",))
    assert AuditLog.objects.get(pk=entry.pk).actor_label == "at once"
