"""Writes of the core: audit records and idempotent calls."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model

from ewtp.core import clock
from ewtp.core.errors import Conflict, DomainError
from ewtp.core.models import AuditLog, IdempotencyRecord


def audit_record(
    *,
    actor: Any,
    action: str,
    target: Model | None = None,
    data: dict[str, Any] | None = None,
    organisation_ref: str = "",
) -> AuditLog:
    """Append one audit entry; runs inside the caller's transaction so it lands with the change."""
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
        created_at=clock.now(),
    )
    entry.full_clean()
    entry.save()
    return entry


def request_fingerprint(payload: Any) -> str:
    """A stable hash of a request body, so a key reused for another request is caught."""
    encoded = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def idempotent_call(
    *,
    scope: str,
    key: str,
    fingerprint: str,
    call: Callable[[], tuple[int, Any]],
) -> tuple[int, Any]:
    """Run `call` once per (scope, key); a replay returns the first answer.

    `call` returns (http status, JSON body). A domain error is an answer too and is replayed.
    A concurrent duplicate (the first still running) gets 409; a key reused for a different
    request gets 422. An unexpected failure forgets the key so that the client may retry.
    """
    if not key or len(key) > 200:
        raise DomainError(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 200 characters.",
            fields={"Idempotency-Key": "1 to 200 characters"},
        )
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                scope=scope, key=key, fingerprint=fingerprint, created_at=clock.now()
            )
    except IntegrityError:
        first = IdempotencyRecord.objects.get(scope=scope, key=key)
        if first.fingerprint != fingerprint:
            raise DomainError(
                "idempotency_key_reused",
                "This Idempotency-Key was used for a different request.",
            ) from None
        if first.state == IdempotencyRecord.State.DONE:
            assert first.response_status is not None
            return first.response_status, first.response_body
        raise Conflict(
            "idempotency_in_progress",
            "A request with this Idempotency-Key is still being processed; retry shortly.",
        ) from None

    try:
        status, body = call()
    except DomainError as error:
        status, body = error.http_status, error.as_dict()
    except BaseException:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        state=IdempotencyRecord.State.DONE, response_status=status, response_body=body
    )
    return status, body
