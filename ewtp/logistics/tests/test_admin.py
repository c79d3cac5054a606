"""The admin shows parcels and shipments and changes none of them: every step goes through
the logistics services (state checks, tracking, the order's transitions, audit)."""

from __future__ import annotations

from typing import Any

import pytest

from ewtp.core.tests.admin_checks import assert_admin_refuses_writes
from ewtp.customs.services import declaration_decide, declarations_submit
from ewtp.logistics.codes import awb_make
from ewtp.logistics.models import Lane
from ewtp.logistics.services import parcels, shipments
from ewtp.logistics.tests.factories import packed, paid_order, world

pytestmark = pytest.mark.django_db


def test_the_admin_refuses_to_write_parcels_and_shipments(admin_client: Any) -> None:
    w = world()
    parcel = packed(w, paid_order([(w.coffee, 1)], destination="BE"))
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    parcels.parcel_receive(actor=w.kigali, hub=w.kgl, code=parcel.code)
    declarations_submit(actor=w.seller, parcel=parcel)
    export = parcel.declarations.get(kind="export")
    declaration_decide(actor=w.officer_rw, declaration=export, action="release")
    lane = Lane.objects.get(origin=w.kgl, destination=w.lgg, carrier__code="WB")
    shipment = shipments.shipment_create(
        actor=w.kigali, lane=lane, awb=awb_make("459", "1234567"), parcels=[parcel]
    )

    parcel.refresh_from_db()
    assert (parcel.status, parcel.shipment_id) == ("consolidated", shipment.pk)
    assert_admin_refuses_writes(
        admin_client, "logistics/parcel", parcel, {"status": "delivered", "weight_kg": "0.1"}
    )
    assert_admin_refuses_writes(admin_client, "logistics/shipment", shipment, {"status": "arrived"})
    # Hubs and lanes are configuration, edited here.
    assert admin_client.get(f"/admin/logistics/lane/{lane.pk}/change/").status_code == 200
