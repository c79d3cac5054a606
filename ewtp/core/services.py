"""Writes of the core: audit records and idempotent calls."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ewtp.core import clock
from ewtp.core.errors import Conflict, DomainError, InvalidRequest
from ewtp.core.models import AuditLog, IdempotencyRecord
from ewtp.core.rows import row_update, rows_insert, rows_update_together

# An in-progress key older than this belongs to a request that died; it may be taken over.
STALE_AFTER = timedelta(minutes=10)
# Answers not worth replaying: the client should simply try again.
_TRANSIENT_CODES = frozenset({"busy", "rate_limited"})


def audit_entry(
    *,
    actor: Any,
    action: str,
    target: Model | None = None,
    data: dict[str, Any] | None = None,
    organisation_ref: str = "",
    now: Any = None,
) -> AuditLog:
    """One audit entry, checked and not written: ``audit_record`` writes it, or a caller that
    writes it in one statement with its change (always inside that change's transaction)."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditLog(
        actor=actor if is_user else None,
        actor_label=(getattr(actor, "email", "") or str(actor)) if actor is not None else "system",
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(getattr(target, "public_id", None) or target.pk)
        if target is not None
        else "",
        organisation_ref=organisation_ref,
        data=data or {},
        created_at=now or clock.now(),
    )
    # The actor is a user object the caller holds: checking it exists would cost a query.
    entry.full_clean(exclude=["actor"], validate_unique=False, validate_constraints=False)
    return entry


def audit_record(
    *,
    actor: Any,
    action: str,
    target: Model | None = None,
    data: dict[str, Any] | None = None,
    organisation_ref: str = "",
) -> AuditLog:
    """Append one audit entry; runs inside the caller's transaction so it lands with the change."""
    entry = audit_entry(
        actor=actor, action=action, target=target, data=data, organisation_ref=organisation_ref
    )
    rows_insert([entry])  # one INSERT whose text is written once per process
    return entry


def audit_entries(entries: list[dict[str, Any]]) -> list[AuditLog]:
    """Audit entries checked but not written (each dict: audit_record's arguments), for a
    caller that writes them with its own rows (``rows.rows_insert_together``)."""
    now = clock.now()
    return [audit_entry(**entry, now=now) for entry in entries]


def audit_records(entries: list[dict[str, Any]]) -> list[AuditLog]:
    """Append several audit entries in one statement (each dict: audit_record's arguments);
    the entries returned are written but not given their ids."""
    written = audit_entries(entries)
    rows_insert(written, returning=False)
    return written


def request_fingerprint(payload: Any) -> str:
    """A stable hash of a request body, so a key reused for another request is caught."""
    encoded = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def idempotency_key_of(request: HttpRequest) -> str:
    """The request's Idempotency-Key header; a POST that moves money or capacity needs one."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        raise InvalidRequest(
            "idempotency_key_required",
            _("Send an Idempotency-Key header with this request."),
            fields={"Idempotency-Key": "required"},
        )
    return key


def idempotent_call(
    *,
    scope: str,
    key: str,
    fingerprint: str,
    call: Callable[[], tuple[int, Any]],
) -> tuple[int, Any]:
    """Run `call` once per (scope, key); a replay returns the first answer.

    `call` returns (http status, JSON body). A domain error is an answer too and is replayed,
    except a transient one (busy, rate limited) which the client should simply retry.
    A concurrent duplicate (the first still running) gets 409; a key reused for a different
    request gets 422. An unexpected failure forgets the key so that the client may retry.
    A key left in progress by a crashed process is taken over after STALE_AFTER.
    """
    if not key or len(key) > 200:
        raise InvalidRequest(
            "invalid_idempotency_key",
            _("Idempotency-Key must be 1 to 200 characters."),
            fields={"Idempotency-Key": "1 to 200 characters"},
        )
    record = _claim(scope=scope, key=key, fingerprint=fingerprint)
    if isinstance(record, tuple):
        return record

    pending: list[tuple[Model, tuple[str, ...]]] = []
    token = _WITH_ANSWER.set(pending)
    try:
        status, body = call()
    except DomainError as error:
        if error.code in _TRANSIENT_CODES or error.http_status in {429, 503}:
            rows_update_together(pending)
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        status, body = error.http_status, error.as_dict()
    except BaseException:
        rows_update_together(pending)
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    finally:
        _WITH_ANSWER.reset(token)
    record.state = IdempotencyRecord.State.DONE
    record.response_status, record.response_body = status, body
    rows_update_together([*pending, (record, ("state", "response_status", "response_body"))])
    return status, body


# The rows an idempotent call asked to write with its answer (``with_answer``).
_WITH_ANSWER: ContextVar[list[tuple[Model, tuple[str, ...]]] | None] = ContextVar(
    "with_answer", default=None
)


def with_answer(obj: Model, names: tuple[str, ...]) -> None:
    """Write the columns ``names`` of ``obj``'s row with the answer of the idempotent call
    under way (on PostgreSQL in its statement: one commit for both), or, failing that, when
    the call fails; outside an idempotent call, at once. For a write outside any transaction
    whose row nothing reads again before the answer."""
    pending = _WITH_ANSWER.get()
    if pending is None or connection.in_atomic_block:
        row_update(obj, names)
    else:
        pending.append((obj, names))


# The columns a kept answer writes, in the order of the raw INSERTs that keep one.
ANSWER_COLUMNS = (
    "scope",
    "key",
    "fingerprint",
    "state",
    "response_status",
    "response_body",
    "created_at",
)


@functools.cache
def _answer_keep_sql(vendor: str, *, asynchronous: bool) -> str:
    """The INSERT of ``idempotent_answer_keep``, written once per process: the ORM's
    ``bulk_create`` compiled it again on every refusal (about a third of a millisecond, for a
    path whose whole budget is a few)."""
    quote = connection.ops.quote_name
    table = quote(IdempotencyRecord._meta.db_table)
    columns = ", ".join(quote(name) for name in ANSWER_COLUMNS)
    body = "%s::jsonb" if vendor == "postgresql" else "%s"
    values = f"%s, %s, %s, %s, %s, {body}, %s"
    if asynchronous:
        # set_config(..., true) lasts until the end of this statement's own transaction.
        source = f"SELECT {values} FROM (SELECT set_config('synchronous_commit', 'off', true)) s"  # noqa: S608 (names and placeholders only)
    else:
        source = f"VALUES ({values})"
    return f"INSERT INTO {table} ({columns}) {source} ON CONFLICT DO NOTHING"


def idempotent_answer_keep(*, scope: str, key: str, fingerprint: str, error: DomainError) -> None:
    """Keep a refusal answered before the key was claimed as the key's first answer (one
    INSERT; a key taken meanwhile keeps what it has), so that a replay returns it.

    On PostgreSQL, outside a transaction, the row is committed asynchronously
    (``synchronous_commit = off`` for this one statement's transaction): the commit does not
    wait for the WAL flush (0.37 → 0.15 ms here). A crash of the database within the next
    few hundred milliseconds (three times ``wal_writer_delay``) may lose this row and nothing else:
    a later replay of the key is then decided anew, like a request under a new key, instead
    of getting the 409 again. Acceptable for a refusal: it moved no money and no places, the
    read that decided it was no more durable, and the database stays consistent (an
    asynchronous commit is never partly applied). Inside a transaction the caller's commit
    decides its durability and it is left alone (money may move in it)."""
    asynchronous = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute(
            _answer_keep_sql(connection.vendor, asynchronous=asynchronous),
            [
                scope,
                key,
                fingerprint,
                IdempotencyRecord.State.DONE.value,
                error.http_status,
                json.dumps(error.as_dict()),
                connection.ops.adapt_datetimefield_value(clock.now()),
            ],
        )


@functools.cache
def _claim_sql() -> str:
    """The claim's INSERT outside a transaction on PostgreSQL, written once per process, its
    own transaction committed asynchronously (see ``_record_create``)."""
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(name) for name in ("scope", "key", "fingerprint", "state", "created_at")
    )
    return (
        f"INSERT INTO {quote(IdempotencyRecord._meta.db_table)} ({columns}) "  # noqa: S608 (names only)
        "SELECT %s, %s, %s, %s, %s FROM (SELECT set_config('synchronous_commit', 'off', true)) s "
        f"RETURNING {quote('id')}"
    )


def _record_create(*, scope: str, key: str, fingerprint: str) -> IdempotencyRecord:
    """One INSERT: on its own (autocommit) outside a transaction, in a savepoint inside one,
    so that a duplicate key leaves the caller's transaction usable.

    On PostgreSQL outside a transaction the claim commits asynchronously (no wait for the WAL
    flush): every later synchronous commit (the call's own writes, the answer recorded by
    ``idempotent_call``) flushes it with them, so a crash can lose it only together with
    everything the call wrote; a retry then runs the call again, as it would after taking a
    stale claim over (``STALE_AFTER``), only sooner."""
    now = clock.now()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(
                _claim_sql(),
                [
                    scope,
                    key,
                    fingerprint,
                    IdempotencyRecord.State.IN_PROGRESS.value,
                    connection.ops.adapt_datetimefield_value(now),
                ],
            )
            (pk,) = cursor.fetchone()
        record = IdempotencyRecord(
            pk=pk, scope=scope, key=key, fingerprint=fingerprint, created_at=now
        )
        record._state.adding = False
        record._state.db = connection.alias
        return record

    def create() -> IdempotencyRecord:
        return IdempotencyRecord.objects.create(
            scope=scope, key=key, fingerprint=fingerprint, created_at=now
        )

    if not connection.in_atomic_block:
        return create()
    with transaction.atomic():
        return create()


def _claim(*, scope: str, key: str, fingerprint: str) -> IdempotencyRecord | tuple[int, Any]:
    """Take the key (a new in-progress record), or the first answer to replay, or raise."""
    for _attempt in range(3):
        try:
            return _record_create(scope=scope, key=key, fingerprint=fingerprint)
        except IntegrityError:
            pass
        first = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if first is None:
            continue  # the first attempt failed and forgot the key meanwhile: claim it again
        if first.fingerprint != fingerprint:
            raise DomainError(
                "idempotency_key_reused",
                _("This Idempotency-Key was used for a different request."),
                fields={"Idempotency-Key": "used for a different request"},
            )
        if first.state == IdempotencyRecord.State.DONE:
            assert first.response_status is not None
            return first.response_status, first.response_body
        now = clock.now()
        if first.created_at < now - STALE_AFTER:
            taken = IdempotencyRecord.objects.filter(
                pk=first.pk, state=IdempotencyRecord.State.IN_PROGRESS, created_at=first.created_at
            ).update(created_at=now)
            if taken:
                first.created_at = now
                return first
        raise Conflict(
            "idempotency_in_progress",
            _("A request with this Idempotency-Key is still being processed; retry shortly."),
        )
    raise Conflict("busy", _("The platform is busy with the same request; try again."))
