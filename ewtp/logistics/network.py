"""The hub network held in memory per process, for pricing carriage without reading it again.

Pricing a consignment needs the origin hub, the destination country's hub, the active lanes
between them with their carriers and the rate card valid on the day, or the origin hub's local
rate: four or more queries a consignment when read each time. The network is small and changes
rarely, so each process keeps one snapshot of it for one day, checked on every use against a
stamp row (one primary-key read): any save or delete of a hub, a coverage, a carrier, a lane, a
rate card or a local rate writes a new random stamp in the same transaction (signals below), so
every process sees the change with the commit that made it, and a rolled-back change takes its
stamp with it. Bulk ``QuerySet.update()`` sends no signal: call ``network_changed()`` after it.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from ewtp.logistics.models import (
    Carrier,
    Hub,
    HubCoverage,
    Lane,
    LocalRate,
    NetworkStamp,
    RateCard,
)

WATCHED = (Hub, HubCoverage, Carrier, Lane, RateCard, LocalRate)


@dataclass
class Network:
    """The network as it prices carriage on ``day``."""

    stamp: str
    day: date
    hubs: dict[str, Hub] = field(default_factory=dict)  # by code
    coverage: dict[str, Hub] = field(default_factory=dict)  # country -> its active hub
    local: dict[int, LocalRate] = field(default_factory=dict)  # hub id -> rate valid on day
    # (origin id, destination id) -> the active lanes with their card valid on day, in the
    # lanes' own order (origin, destination, carrier codes)
    lanes: dict[tuple[int, int], list[tuple[Lane, RateCard]]] = field(default_factory=dict)


_held: dict[str, Network] = {}
_lock = threading.Lock()
# Inside ``checked_once``: the network already checked against the stamp, by day.
_checked: ContextVar[dict[date, Network] | None] = ContextVar("network_checked", default=None)


@contextmanager
def checked_once() -> Iterator[None]:
    """Within this block the stamp is read once: a checkout prices all its consignments
    against the network as it was at the first (one statement, not one per consignment)."""
    token = _checked.set({})
    try:
        yield
    finally:
        _checked.reset(token)


def _stamp() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM logistics_networkstamp WHERE id = 1")
        row = cursor.fetchone()
    return str(row[0]) if row else ""


def _valid_on(day: date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


def _load(stamp: str, day: date) -> Network:
    network = Network(stamp=stamp, day=day)
    by_id: dict[int, Hub] = {}
    for hub in Hub.objects.all():
        network.hubs[hub.code] = hub
        by_id[hub.pk] = hub
    for coverage in HubCoverage.objects.filter(hub__is_active=True):
        network.coverage[coverage.country] = by_id[coverage.hub_id]
    for local in LocalRate.objects.filter(_valid_on(day)).order_by("hub_id", "-valid_from"):
        network.local.setdefault(local.hub_id, local)
    cards: dict[int, RateCard] = {}
    for card in RateCard.objects.filter(_valid_on(day), lane__is_active=True).order_by(
        "lane_id", "-valid_from"
    ):
        cards.setdefault(card.lane_id, card)
    for lane in Lane.objects.select_related("carrier").filter(is_active=True):
        valid = cards.get(lane.pk)
        if valid is None:
            continue
        lane.origin = by_id[lane.origin_id]
        lane.destination = by_id[lane.destination_id]
        valid.lane = lane
        network.lanes.setdefault((lane.origin_id, lane.destination_id), []).append((lane, valid))
    return network


def network_on(day: date) -> Network:
    """The network valid on ``day``: the held snapshot when the stamp has not moved (read once
    inside ``checked_once``)."""
    checked = _checked.get()
    if checked is not None and day in checked:
        return checked[day]
    stamp = _stamp()
    held = _held.get("network")
    if held is None or held.stamp != stamp or held.day != day:
        held = _load(stamp, day)
        with _lock:
            _held["network"] = held
    if checked is not None:
        checked[day] = held
    return held


def network_changed(**_kwargs: Any) -> None:
    """A new stamp: every process reads the network again on its next price."""
    token = uuid.uuid4().hex
    if not NetworkStamp.objects.filter(pk=1).update(token=token):
        NetworkStamp.objects.update_or_create(pk=1, defaults={"token": token})


def connect() -> None:
    for model in WATCHED:
        post_save.connect(network_changed, sender=model, dispatch_uid=f"network-{model.__name__}")
        post_delete.connect(
            network_changed, sender=model, dispatch_uid=f"network-del-{model.__name__}"
        )
