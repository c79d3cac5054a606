"""Simulation of a proposal on the platform's real trade: every order of a period replayed
under the base rules and under the proposal, streamed in batches (memory bounded)."""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.db import connection, connections, transaction
from django.db.models.fields.json import KT

import ewtp
from ewtp.core import clock, conf
from ewtp.core.money import Money
from ewtp.core.services import audit_record
from ewtp.forum.models import Proposal, Simulation, SimulationChange
from ewtp.forum.replay import Elasticity, OrderIn, Replay, change_item
from ewtp.forum.selectors.effects import changed_destinations
from ewtp.forum.selectors.snapshot import revision_snapshot, version_snapshot
from ewtp.forum.services.proposals import latest_revision, revision_freeze
from ewtp.orders.models import Order, OrderLine

BATCH = 2000
# From this many orders a replay on PostgreSQL runs in worker processes.
PARALLEL_FROM = 20_000
Progress = Callable[[int, int], None]


@cache
def elasticities() -> Elasticity:
    """CEPII ProTEE 0.1 tariff elasticities by HS6 (data/elasticities, Etalab licence)."""
    path = Path(conf.DATA_DIR()) / "elasticities" / "protee_0_1.csv"
    values: dict[str, Decimal] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row.get("sigma"):
                values[row["HS6"]] = Decimal(row["sigma"])
    return Elasticity(by_hs6=values)


def _orders(filters: dict[str, Any]) -> Any:
    orders = Order.objects.all()
    if filters.get("from"):
        start = datetime.combine(date.fromisoformat(filters["from"]), time.min, tzinfo=UTC)
        orders = orders.filter(created_at__gte=start)
    if filters.get("to"):
        end = datetime.combine(
            date.fromisoformat(filters["to"]) + timedelta(days=1), time.min, tzinfo=UTC
        )
        orders = orders.filter(created_at__lt=end)
    if filters.get("destinations"):
        orders = orders.filter(destination__in=filters["destinations"])
    if filters.get("sellers"):
        orders = orders.filter(seller__public_id__in=filters["sellers"])
    if filters.get("incoterm"):
        orders = orders.filter(incoterm=filters["incoterm"])
    return orders


_FIELDS = (
    "id",
    "public_id",
    "destination",
    "currency",
    "incoterm",
    "seller__public_id",
    "created_at",
)
# The stored request, date and totals as JSON text: parsed only for a request not met before.
_TEXTS = {
    "request_json": KT("quote__request"),
    "day": KT("quote__date"),
    "stored_json": KT("quote__totals__display"),
}


def _rows(orders: Any) -> Any:
    return orders.order_by("pk").values(*_FIELDS, **_TEXTS)


def _rebuilt_requests(rows: list[dict[str, Any]]) -> dict[int, str]:
    """Orders without a stored request (before stored quotes carried it), by key: the request
    rebuilt from their lines, carriage and stored quote, as JSON text. Two queries a batch."""
    ids = [row["id"] for row in rows if not row["request_json"]]
    if not ids:
        return {}
    lines: dict[int, list[dict[str, Any]]] = {}
    for line in OrderLine.objects.filter(order_id__in=ids).order_by("order_id", "id"):
        lines.setdefault(line.order_id, []).append(
            {
                "id": line.quote_line_id,
                "hs_code": line.hs_code,
                "description": line.product_title,
                "quantity": line.quantity,
                "unit_price": Money.from_minor(line.unit_price_minor, line.currency).as_dict(),
                "unit_weight_kg": str(line.unit_weight_kg),
                "origin": line.origin,
            }
        )
    ioss = bool(conf.IOSS_NUMBER())
    rebuilt = {}
    for order in Order.objects.filter(pk__in=ids).values(
        "id", "destination", "currency", "incoterm", "carriage", "quote__origin", "quote__buyer"
    ):
        carriage = order["carriage"] or {}
        shipping = carriage.get("price") or {"amount": "0", "currency": order["currency"]}
        request = {
            "origin": order["quote__origin"] or "RW",
            "destination": order["destination"],
            "currency": order["currency"],
            "incoterm": order["incoterm"],
            "buyer": order["quote__buyer"] or {"kind": "consumer"},
            "shipping": shipping,
            "seller_ioss": ioss,
            "lines": lines.get(order["id"], []),
        }
        rebuilt[order["id"]] = json.dumps(request, sort_keys=True)
    return rebuilt


def order_in(row: dict[str, Any], rebuilt: dict[int, str] | None = None) -> OrderIn:
    request_json = row["request_json"] or (rebuilt or _rebuilt_requests([row]))[row["id"]]
    return OrderIn(
        order_id=str(row["public_id"]),
        destination=row["destination"],
        currency=row["currency"],
        incoterm=row["incoterm"],
        seller=str(row["seller__public_id"]),
        month=row["created_at"].strftime("%Y-%m"),
        request_json=request_json,
        day=row["day"] or row["created_at"].date().isoformat(),
        stored_json=row["stored_json"] or "",
    )


def _order_set(orders: Any) -> tuple[int, str, list[tuple[int, int]]]:
    """The order set's size, hash (of its primary keys) and chunks of BATCH keys (first, last)."""
    digest = hashlib.sha256()
    count = 0
    chunks: list[tuple[int, int]] = []
    last = 0
    while True:
        batch = list(orders.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not batch:
            return count, digest.hexdigest(), chunks
        count += len(batch)
        digest.update(",".join(str(pk) for pk in batch).encode())
        chunks.append((batch[0], batch[-1]))
        last = batch[-1]


# What a worker process replays: set before the pool forks, inherited by the workers.
_JOB: dict[str, Any] = {}


def _replay_chunk(bounds: tuple[int, int]) -> Replay:
    replay = Replay(
        base=_JOB["base"],
        proposal=_JOB["proposal"],
        elasticity=_JOB["elasticity"],
        touched=_JOB["touched"],
    )
    first, last = bounds
    rows = list(_rows(_JOB["orders"].filter(pk__gte=first, pk__lte=last)))
    rebuilt = _rebuilt_requests(rows)
    for row in rows:
        replay.add(order_in(row, rebuilt))
    return replay.partial()


def _workers(count: int) -> int:
    """Worker processes for a large replay on PostgreSQL outside a transaction, else 1."""
    if count < PARALLEL_FROM or connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def _replay_chunks(chunks: list[tuple[int, int]], workers: int) -> Iterator[Replay]:
    if workers == 1:
        yield from map(_replay_chunk, chunks)
        return
    connections.close_all()  # the workers open their own
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_replay_chunk, chunks)


def simulation_create(*, proposal: Proposal, actor: Any, filters: dict[str, Any]) -> Simulation:
    """A queued simulation of the proposal's latest revision (which it freezes)."""
    revision = latest_revision(proposal)
    with transaction.atomic():
        revision_freeze(revision)
        simulation = Simulation.objects.create(
            proposal=proposal,
            revision=revision.number,
            filters=filters,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=clock.now(),
        )
        audit_record(
            actor=actor,
            action="forum.proposal.simulation_queued",
            target=proposal,
            data={
                "simulation": str(simulation.public_id),
                "revision": revision.number,
                "filters": filters,
            },
        )
    return simulation


def simulation_run(*, simulation_id: int, progress: Progress | None = None) -> Simulation:
    """Replay the orders; progress is stored every batch (and told to ``progress``)."""
    simulation = Simulation.objects.select_related("proposal").get(pk=simulation_id)
    proposal = simulation.proposal
    revision = proposal.revisions.get(number=simulation.revision)
    orders = _orders(simulation.filters).exclude(quote={})
    count, order_hash, chunks = _order_set(orders)
    Simulation.objects.filter(pk=simulation.pk).update(
        status=Simulation.Status.RUNNING, total=count
    )
    _JOB.update(
        base=version_snapshot(revision.base_version),
        proposal=revision_snapshot(revision),
        elasticity=elasticities(),
        touched=changed_destinations(revision),
        orders=orders,
    )
    replay = Replay(base=_JOB["base"], proposal=_JOB["proposal"], elasticity=_JOB["elasticity"])
    done = 0
    try:
        for partial in _replay_chunks(chunks, _workers(count)):
            written = _changes_write(simulation, partial.changed, start=replay.changed_count)
            partial.changed = []
            replay.merge(partial)
            replay.changed_count += written
            done = replay.orders + len(replay.rejected)
            Simulation.objects.filter(pk=simulation.pk).update(done=done)
            if progress is not None:
                progress(done, count)
    finally:
        _JOB.clear()
    inputs = {
        "base_version": revision.base_version,
        "proposal": proposal.code,
        "revision": revision.number,
        "changes": hashlib.sha256(
            json.dumps(revision.changes, sort_keys=True).encode()
        ).hexdigest(),
        "engine": ewtp.__version__,
        "orders": count,
        "order_set": order_hash,
        "filters": simulation.filters,
    }
    simulation.inputs = inputs
    simulation.inputs_hash = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    simulation.summary = replay.summary(proposal.code)  # orders_changed: the change rows
    simulation.details = replay.details(_seller_names())
    simulation.status = Simulation.Status.DONE
    simulation.done = done
    simulation.total = count
    simulation.finished_at = clock.now()
    with transaction.atomic():
        simulation.save()
        audit_record(
            actor=None,
            action="forum.proposal.simulated",
            target=proposal,
            data={
                "simulation": str(simulation.public_id),
                "inputs_hash": simulation.inputs_hash,
                "orders": count,
                "changed": simulation.summary["changed"],
            },
        )
    return simulation


def _seller_names() -> Callable[[str], str]:
    from ewtp.accounts.models import Organisation

    names = {str(pid): name for pid, name in Organisation.objects.values_list("public_id", "name")}
    return lambda key: names.get(key, key)


def _changes_write(simulation: Simulation, changed: list[dict[str, Any]], *, start: int) -> int:
    """The changed orders as rows: on PostgreSQL streamed with COPY, each row's data written
    as JSON text around the request's stored text (never parsed); elsewhere in bulk."""
    if not changed:
        return 0
    if connection.vendor == "postgresql":
        columns = "simulation_id, position, order_id, destination, currency, data"
        table = connection.ops.quote_name(SimulationChange._meta.db_table)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for index, item in enumerate(changed):
                data = (
                    f'{{"request": {item["request_json"]}, '
                    f'"before": {json.dumps(item["before"])}, '
                    f'"after": {json.dumps(item["after"])}}}'
                )
                copy.write_row(
                    (
                        simulation.pk,
                        start + index,
                        item["order_id"],
                        item["destination"],
                        item["currency"],
                        data,
                    )
                )
        return len(changed)
    SimulationChange.objects.bulk_create(
        [
            SimulationChange(
                simulation=simulation,
                position=start + index,
                order_id=found["order_id"],
                destination=found["destination"],
                currency=found["currency"],
                data={key: found[key] for key in ("request", "before", "after")},
            )
            for index, found in enumerate(map(change_item, changed))
        ],
        batch_size=1000,
    )
    return len(changed)


def simulation_summary(simulation: Simulation, *, limit: int | None = None) -> dict[str, Any]:
    """The contract's summary, ``orders_changed`` read back from the change rows (all of
    them, or the first ``limit``)."""
    changes = simulation.changes.order_by("position")
    if limit is not None:
        changes = changes[:limit]
    items = [change.as_item() for change in changes.iterator(chunk_size=2000)]
    return {**simulation.summary, "orders_changed": items}


def simulation_fail(*, simulation_id: int, error: str) -> None:
    Simulation.objects.filter(pk=simulation_id).update(
        status=Simulation.Status.FAILED, error=error[:2000], finished_at=clock.now()
    )


def simulation_enqueue(simulation: Simulation) -> None:
    from ewtp.forum.tasks import simulate_proposal

    transaction.on_commit(lambda: simulate_proposal.enqueue(simulation.pk), robust=True)
