"""Hubs, lanes between them with carriers and dated rate cards, parcels per seller order,
shipments (consolidations under one air waybill) and the tracking events of each parcel.

Times are UTC; a hub carries its IANA zone for display. Status changes go through
``services`` (each checks the state and the actor's right, writes an event and an audit row).
"""

from __future__ import annotations

import uuid
import zoneinfo
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ewtp.accounts.models import Organisation
from ewtp.orders.models import Order


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _zones():
        raise ValidationError(_("Not an IANA time zone (e.g. Africa/Kigali)."))


class Hub(models.Model):
    """A trade hub at an airport; its code is the airport's IATA code (KGL, LGG, HGH, KUL)."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2)
    address = models.TextField(_("address"))
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    operator = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="hubs", verbose_name=_("operator")
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z]{3}$"), name="hub_code_iata")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def place(self) -> str:
        return f"{self.name} ({self.code})"


class HubCoverage(models.Model):
    """Destination country -> the hub that receives its parcels (EU members -> LGG, ...)."""

    country = models.CharField(_("destination country"), max_length=2, unique=True)
    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="coverage")

    class Meta:
        ordering = ["country"]

    def __str__(self) -> str:
        return f"{self.country} -> {self.hub.code}"


class Carrier(models.Model):
    """An airline; ``awb_prefix`` is its IATA air waybill prefix (3 digits)."""

    code = models.CharField(_("IATA designator"), max_length=3, unique=True)
    name = models.CharField(_("name"), max_length=200)
    awb_prefix = models.CharField(_("air waybill prefix"), max_length=3)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(awb_prefix__regex=r"^[0-9]{3}$"), name="carrier_awb_prefix_digits"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code} {self.awb_prefix})"


class Lane(models.Model):
    """A scheduled route between two hubs flown by one carrier."""

    origin = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="lanes_out")
    destination = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="lanes_in")
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="lanes")
    transit_days = models.PositiveSmallIntegerField(_("transit days"))
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["origin__code", "destination__code", "carrier__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["origin", "destination", "carrier"], name="lane_unique"
            ),
            models.CheckConstraint(
                condition=~Q(origin=models.F("destination")), name="lane_two_hubs"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.origin.code}-{self.destination.code} {self.carrier.code}"


class Rate(models.Model):
    """What carriage charges from a date: per shipment plus per chargeable kg."""

    currency = models.CharField(max_length=3)
    per_kg_minor = models.BigIntegerField()
    per_shipment_minor = models.BigIntegerField()
    volumetric_divisor = models.PositiveIntegerField(default=6000)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)  # inclusive; empty = open
    source = models.CharField(max_length=300)

    class Meta:
        abstract = True


class RateCard(Rate):
    """A lane's rate from a date."""

    lane = models.ForeignKey(Lane, on_delete=models.CASCADE, related_name="rate_cards")

    class Meta:
        ordering = ["lane", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["lane", "valid_from"], name="rate_card_unique"),
            models.CheckConstraint(
                condition=Q(per_kg_minor__gte=0) & Q(per_shipment_minor__gte=0),
                name="rate_card_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lane} from {self.valid_from}"


class LocalRate(Rate):
    """Delivery by a hub's own courier to the countries it covers itself (no flight): a
    Kigali seller's parcel to a Kigali buyer goes KGL intake -> out for delivery."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="local_rates")
    courier = models.CharField(_("courier"), max_length=200)
    transit_days = models.PositiveSmallIntegerField(_("transit days"))

    class Meta:
        ordering = ["hub", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["hub", "valid_from"], name="local_rate_unique"),
            models.CheckConstraint(
                condition=Q(per_kg_minor__gte=0) & Q(per_shipment_minor__gte=0),
                name="local_rate_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hub.code} local delivery from {self.valid_from}"


class Shipment(models.Model):
    """Parcels consolidated on a lane under one master air waybill."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DISPATCHED = "dispatched", _("Dispatched")
        ARRIVED = "arrived", _("Arrived")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    lane = models.ForeignKey(Lane, on_delete=models.PROTECT, related_name="shipments")
    awb = models.CharField(_("air waybill"), max_length=12, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"AWB {self.awb}"


class Clearance(models.TextChoices):
    """Where a parcel's export or import declaration stands (kept in step by customs)."""

    NONE = "", _("Not declared")
    SUBMITTED = "submitted", _("Submitted")
    INSPECTION = "inspection", _("Under inspection")
    HELD = "held", _("Held")
    RELEASED = "released", _("Released")
    REJECTED = "rejected", _("Rejected")
    LODGED = "lodged", _("Lodged outside the platform")


class Parcel(models.Model):
    class Status(models.TextChoices):
        PACKED = "packed", _("Packed")
        HANDED_OVER = "handed_over", _("Handed over")
        RECEIVED = "received", _("At the origin hub")
        CONSOLIDATED = "consolidated", _("Consolidated")
        IN_TRANSIT = "in_transit", _("In transit")
        ARRIVED = "arrived", _("At the destination hub")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        DAMAGED = "damaged", _("Damaged")
        HELD = "held", _("Held")
        RETURNED = "returned", _("Returned to sender")

    code = models.CharField(_("parcel code"), max_length=16, unique=True)
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="parcel")
    seller = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="parcels")
    origin_hub = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="parcels_out")
    destination_hub = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="parcels_in")
    destination_country = models.CharField(max_length=2)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PACKED, db_index=True
    )
    status_before_exception = models.CharField(max_length=20, blank=True)
    exception_reason = models.TextField(blank=True)
    exception_source = models.CharField(max_length=20, blank=True)  # hub, customs:export, ...
    current_hub = models.ForeignKey(
        Hub, null=True, blank=True, on_delete=models.PROTECT, related_name="parcels_here"
    )
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=8, decimal_places=3)
    length_cm = models.PositiveSmallIntegerField(_("length (cm)"))
    width_cm = models.PositiveSmallIntegerField(_("width (cm)"))
    height_cm = models.PositiveSmallIntegerField(_("height (cm)"))
    contents = models.JSONField(default=list)  # from the order lines, fixed at packing
    ship_to = models.JSONField(default=dict)  # the buyer's address, fixed at packing
    shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="parcels"
    )
    export_clearance = models.CharField(
        max_length=12, choices=Clearance.choices, blank=True, default=Clearance.NONE
    )
    import_clearance = models.CharField(
        max_length=12, choices=Clearance.choices, blank=True, default=Clearance.NONE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["current_hub", "status"], name="parcel_hub_status_idx"),
            models.Index(fields=["seller", "-created_at"], name="parcel_seller_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(weight_kg__gt=0), name="parcel_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_local(self) -> bool:
        """Delivered by the origin hub itself (inside its own country): no flight, no customs."""
        return self.origin_hub_id == self.destination_hub_id

    @property
    def dimensions(self) -> tuple[int, int, int]:
        return self.length_cm, self.width_cm, self.height_cm


class TrackingEvent(models.Model):
    """One step of a parcel's journey: when, where, what, and who. Append-only."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="events")
    shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    status = models.CharField(max_length=20)
    kind = models.CharField(max_length=40)  # what happened: received, dispatched, held, ...
    hub = models.ForeignKey(Hub, null=True, blank=True, on_delete=models.SET_NULL)
    place = models.CharField(max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)  # an organisation, for the public
    note = models.TextField(blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["parcel", "occurred_at"], name="tracking_parcel_idx")]

    def __str__(self) -> str:
        return f"{self.parcel_id} {self.kind} at {self.place}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("tracking events are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class NetworkStamp(models.Model):
    """One row: a random token rewritten whenever the hub network changes (hubs, coverage,
    carriers, lanes, rate cards, local rates), so that a process holding the network in memory
    knows to read it again (ewtp/logistics/network.py)."""

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token
