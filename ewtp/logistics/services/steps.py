"""A parcel's last-mile and exception steps by name, as the hub pages and the API offer them:
``PARCEL_STEPS[name](actor, parcel, text)``, the text being the step's note or reason."""

from __future__ import annotations

from collections.abc import Callable

from ewtp.logistics.models import Parcel
from ewtp.logistics.services import delivery, exceptions

Step = Callable[[object, Parcel, str], Parcel]

PARCEL_STEPS: dict[str, Step] = {
    "out_for_delivery": lambda actor, parcel, text: delivery.parcel_out_for_delivery(
        actor=actor, parcel=parcel, note=text
    ),
    "deliver": lambda actor, parcel, text: delivery.parcel_deliver(
        actor=actor, parcel=parcel, note=text
    ),
    "damage": lambda actor, parcel, text: exceptions.parcel_report_damage(
        actor=actor, parcel=parcel, reason=text
    ),
    "hold": lambda actor, parcel, text: exceptions.parcel_hold(
        actor=actor, parcel=parcel, reason=text
    ),
    "resume": lambda actor, parcel, text: exceptions.parcel_resume(
        actor=actor, parcel=parcel, note=text
    ),
    "return": lambda actor, parcel, text: exceptions.parcel_return(
        actor=actor, parcel=parcel, reason=text
    ),
}
