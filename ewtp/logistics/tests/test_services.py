"""Every parcel and shipment transition, the forbidden ones (409), the actors' rights (403),
and the order moving through the orders services in step."""

from decimal import Decimal

import pytest

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from ewtp.core.models import AuditLog
from ewtp.customs import services as customs_services
from ewtp.logistics.codes import awb_make, iso7064_mod37_36
from ewtp.logistics.models import Clearance, Lane, Parcel, Shipment, TrackingEvent
from ewtp.logistics.selectors import tracking_for_order
from ewtp.logistics.services import delivery, exceptions, parcels, shipments
from ewtp.logistics.tests.factories import packed, paid_order, world
from ewtp.orders.models import Order
from ewtp.orders.services.transitions import (
    allowed_actions,
    order_accept,
    order_hand_to_hub,
    order_pack,
    order_ship,
    order_transition,
    roles_for,
)

P = Parcel.Status
AWB = awb_make("459", "1234567")  # RwandAir prefix, check digit 5


@pytest.fixture
def w(db):
    return world()


@pytest.fixture
def lane(w):
    return Lane.objects.get(origin=w.kgl, destination=w.lgg, carrier__code="WB")


def _status(order):
    return Order.objects.get(pk=order.pk).status


def _kinds(parcel):
    return list(TrackingEvent.objects.filter(parcel=parcel).values_list("kind", flat=True))


def _released_export(w, parcel):
    customs_services.declarations_submit(actor=w.seller, parcel=parcel)
    export = parcel.declarations.get(kind="export")
    customs_services.declaration_decide(actor=w.officer_rw, declaration=export, action="release")


def _at_liege(w, lane):
    order = paid_order([(w.coffee, 3)], destination="BE")
    parcel = packed(w, order)
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    parcels.parcel_receive(actor=w.kigali, hub=w.kgl, code=parcel.code)
    _released_export(w, parcel)
    shipment = shipments.shipment_create(actor=w.kigali, lane=lane, awb=AWB, parcels=[parcel])
    shipments.shipment_dispatch(actor=w.kigali, shipment=shipment)
    shipments.shipment_arrive(actor=w.liege, shipment=shipment)
    parcel.refresh_from_db()
    return order, parcel, shipment


def test_the_whole_journey_moves_the_parcel_and_the_order(w, lane):
    order = paid_order([(w.coffee, 3)], destination="BE")
    assert order.status == Order.Status.PAID

    parcel = packed(w, order, weight="2.1", dims=(30, 20, 15))
    assert parcel.status == P.PACKED and parcel.code.startswith("KGL-")
    assert (parcel.origin_hub, parcel.destination_hub) == (w.kgl, w.lgg)
    assert parcel.contents == [
        {
            "sku": "HUYE-R500",
            "description": "Huye roasted coffee beans, 500 g",
            "hs_code": "090121",
            "origin": "RW",
            "quantity": 3,
            "unit_weight_kg": "0.550",
            "net_kg": "1.650",
            "quote_line_id": parcel.contents[0]["quote_line_id"],
        }
    ]
    assert parcel.ship_to["city"] == "Bruxelles"
    assert _status(order) == Order.Status.PACKED  # accepted, then packed, by the seller

    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    assert _status(order) == Order.Status.HANDED_TO_HUB

    received = parcels.parcel_receive(actor=w.kigali, hub=w.kgl, code=parcel.code.lower())
    assert (received.status, received.current_hub) == (P.RECEIVED, w.kgl)

    shipment = shipments.shipment_create(
        actor=w.kigali, lane=lane, awb="459 1234 5675", parcels=[parcel]
    )
    parcel.refresh_from_db()
    assert (shipment.awb, shipment.status) == ("459-12345675", Shipment.Status.OPEN)
    assert (parcel.status, parcel.shipment) == (P.CONSOLIDATED, shipment)

    _released_export(w, parcel)
    shipments.shipment_dispatch(actor=w.kigali, shipment=shipment)
    parcel.refresh_from_db()
    assert (parcel.status, parcel.current_hub) == (P.IN_TRANSIT, None)
    assert _status(order) == Order.Status.SHIPPED

    shipments.shipment_arrive(actor=w.liege, shipment=shipment)
    parcel.refresh_from_db()
    assert (parcel.status, parcel.current_hub) == (P.ARRIVED, w.lgg)

    imported = parcel.declarations.get(kind="import")
    customs_services.declaration_decide(actor=w.officer_be, declaration=imported, action="release")
    delivery.parcel_out_for_delivery(actor=w.liege, parcel=parcel)
    delivery.parcel_deliver(actor=w.liege, parcel=parcel, note="signed by M. Peeters")
    parcel.refresh_from_db()
    assert parcel.status == P.DELIVERED and parcel.delivered_at is not None
    assert _status(order) == Order.Status.DELIVERED  # the escrow timer starts here

    assert _kinds(parcel) == [
        "packed",
        "handed_over",
        "received",
        "consolidated",
        "customs_submitted",
        "customs_submitted",
        "customs_released",
        "dispatched",
        "arrived",
        "customs_released",
        "out_for_delivery",
        "delivered",
    ]
    steps = tracking_for_order(order)
    assert [s.kind for s in steps] == _kinds(parcel)
    delivered = steps[-1]
    assert delivered.place == "Bruxelles, Belgium" and delivered.who == "Liege eHub"
    assert delivered.time_zone == "Europe/Brussels" and delivered.note == "signed by M. Peeters"
    assert (
        steps[2].place == "Kigali Logistics Platform (KGL)"
        and steps[2].time_zone == "Africa/Kigali"
    )
    actions = set(
        AuditLog.objects.filter(target_id=str(parcel.pk)).values_list("action", flat=True)
    )
    assert {
        "logistics.parcel.packed",
        "logistics.parcel.received",
        "logistics.parcel.delivered",
        "logistics.parcel.out_for_delivery",
        "logistics.parcel.consolidated",
    } <= actions
    assert AuditLog.objects.filter(
        action="logistics.shipment.dispatched", target_id=str(shipment.public_id)
    ).exists()


def test_the_buyer_confirms_receipt_through_the_orders_service(w, lane):
    order, parcel, _shipment = _at_liege(w, lane)
    customs_services.declaration_decide(
        actor=w.officer_be, declaration=parcel.declarations.get(kind="import"), action="release"
    )
    delivery.parcel_out_for_delivery(actor=w.liege, parcel=parcel)
    with pytest.raises(Conflict):
        delivery.parcel_confirm_receipt(actor=None, parcel=parcel)  # not delivered yet
    delivery.parcel_deliver(actor=w.liege, parcel=parcel)
    with pytest.raises(NotFound):  # a stranger is no buyer of this order
        delivery.parcel_confirm_receipt(
            actor=w.operator.__class__.objects.get(email="tea@demo.ewtp.rw"), parcel=parcel
        )
    from ewtp.orders.services.transitions import BuyerAccess

    order.refresh_from_db()
    delivery.parcel_confirm_receipt(
        actor=BuyerAccess(order.checkout_id, "buyer@example.org"), parcel=parcel
    )
    assert _status(order) == Order.Status.COMPLETED
    assert _kinds(parcel)[-1] == "confirmed"


@pytest.mark.parametrize(
    ("step", "status"),
    [
        ("receive", P.PACKED),  # not handed over yet
        ("hand_over", P.RECEIVED),
        ("deliver", P.RECEIVED),
        ("out_for_delivery", P.RECEIVED),
        ("resume", P.RECEIVED),
        ("damage", P.PACKED),
        ("hold", P.IN_TRANSIT),
        ("return", P.DELIVERED),
        ("deliver", P.ARRIVED),
        ("hand_over", P.RETURNED),
    ],
)
def test_forbidden_transitions_are_a_clear_409_and_change_nothing(w, step, status):
    order = paid_order([(w.coffee, 1)], destination="BE")
    parcel = packed(w, order)
    Parcel.objects.filter(pk=parcel.pk).update(
        status=status, current_hub=w.kgl if status != P.ARRIVED else w.lgg
    )
    parcel.refresh_from_db()
    events = TrackingEvent.objects.count()
    actor = {"hand_over": w.seller, "receive": w.kigali}.get(
        step, w.liege if status == P.ARRIVED else w.kigali
    )
    calls = {
        "receive": lambda: parcels.parcel_receive(actor=actor, hub=w.kgl, code=parcel.code),
        "hand_over": lambda: parcels.parcel_hand_over(actor=actor, parcel=parcel),
        "deliver": lambda: delivery.parcel_deliver(actor=w.liege, parcel=parcel),
        "out_for_delivery": lambda: delivery.parcel_out_for_delivery(actor=w.liege, parcel=parcel),
        "resume": lambda: exceptions.parcel_resume(actor=actor, parcel=parcel),
        "damage": lambda: exceptions.parcel_report_damage(
            actor=actor, parcel=parcel, reason="torn"
        ),
        "hold": lambda: exceptions.parcel_hold(actor=actor, parcel=parcel, reason="check"),
        "return": lambda: exceptions.parcel_return(actor=actor, parcel=parcel, reason="refused"),
    }
    with pytest.raises(Conflict) as raised:
        calls[step]()
    assert raised.value.http_status == 409
    assert raised.value.code in {"invalid_transition", "not_handed_over"}
    assert parcel.code in raised.value.message
    assert Parcel.objects.get(pk=parcel.pk).status == status
    assert TrackingEvent.objects.count() == events


def test_only_the_hubs_own_staff_may_act_there(w, lane):
    order = paid_order([(w.coffee, 1)], destination="BE")
    parcel = packed(w, order)
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    with pytest.raises(PermissionDenied):  # Liege staff at Kigali
        parcels.parcel_receive(actor=w.liege, hub=w.kgl, code=parcel.code)
    with pytest.raises(PermissionDenied):  # a seller is no hub operator
        parcels.parcel_receive(actor=w.seller, hub=w.kgl, code=parcel.code)
    viewer = User.objects.create_user("viewer@hub.test", "x" * 12)
    Membership.objects.create(user=viewer, organisation=w.kgl.operator, role=Membership.Role.VIEWER)
    with pytest.raises(PermissionDenied):
        parcels.parcel_receive(actor=viewer, hub=w.kgl, code=parcel.code)
    with pytest.raises(NotFound):  # another seller's member does not see this order
        parcels.parcel_hand_over(actor=w.baskets_seller, parcel=parcel)
    with pytest.raises(Conflict) as wrong:  # a Liege parcel scanned at the wrong hub
        parcels.parcel_receive(actor=w.liege, hub=w.lgg, code=parcel.code)
    assert wrong.value.code == "wrong_hub"
    assert Parcel.objects.get(pk=parcel.pk).status == P.HANDED_OVER


def test_intake_names_a_bad_code(w):
    with pytest.raises(InvalidRequest) as raised:
        parcels.parcel_receive(actor=w.kigali, hub=w.kgl, code="KGL-ABC")
    assert raised.value.fields == {"code": raised.value.message}
    with pytest.raises(NotFound):
        parcels.parcel_receive(
            actor=w.kigali, hub=w.kgl, code="KGL-22222222-" + iso7064_mod37_36("KGL22222222")
        )


def test_packing_checks_the_order_and_the_measures(w):
    order = paid_order([(w.coffee, 1)], destination="BE")
    with pytest.raises(InvalidRequest) as raised:
        parcels.parcel_create(
            actor=w.seller, order=order, weight_kg="0", length_cm="x", width_cm=10, height_cm=301
        )
    assert set(raised.value.fields) == {"weight_kg", "length_cm", "height_cm"}
    assert not Parcel.objects.exists() and _status(order) == Order.Status.PAID
    packed(w, order)
    with pytest.raises(Conflict) as twice:
        packed(w, order)
    assert twice.value.code == "parcel_exists"
    kenya = paid_order([(w.coffee, 1)], destination="US")
    Parcel.objects.all().delete()  # a clean slate: US is served through Liege in the demo
    assert packed(w, kenya).destination_hub == w.lgg


def test_a_correction_is_allowed_only_before_hand_over(w):
    order = paid_order([(w.coffee, 2)], destination="BE")
    parcel = packed(w, order, weight="1.3")
    parcels.parcel_update(
        actor=w.seller, parcel=parcel, weight_kg="1.25", length_cm=20, width_cm=20, height_cm=10
    )
    parcel.refresh_from_db()
    assert (parcel.weight_kg, parcel.dimensions) == (Decimal("1.250"), (20, 20, 10))
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    with pytest.raises(Conflict):
        parcels.parcel_update(
            actor=w.seller, parcel=parcel, weight_kg="2", length_cm=20, width_cm=20, height_cm=10
        )


def test_consolidation_checks_the_air_waybill_and_the_lane(w, lane):
    order = paid_order([(w.coffee, 1)], destination="BE")
    parcel = packed(w, order)
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    parcels.parcel_receive(actor=w.kigali, hub=w.kgl, code=parcel.code)
    with pytest.raises(InvalidRequest) as check:
        shipments.shipment_create(actor=w.kigali, lane=lane, awb="459-12345676", parcels=[parcel])
    assert "should be 5" in check.value.fields["awb"]
    with pytest.raises(InvalidRequest) as prefix:  # Lufthansa's prefix on a RwandAir lane
        shipments.shipment_create(actor=w.kigali, lane=lane, awb="020-12345675", parcels=[parcel])
    assert "459" in prefix.value.fields["awb"]
    china = Lane.objects.get(origin=w.kgl, destination=w.hgh)
    with pytest.raises(Conflict) as wrong_lane:
        shipments.shipment_create(
            actor=w.kigali, lane=china, awb=awb_make("071", "7654321"), parcels=[parcel]
        )
    assert wrong_lane.value.code == "wrong_lane"
    assert not Shipment.objects.exists()  # every refusal left nothing behind
    shipments.shipment_create(actor=w.kigali, lane=lane, awb=AWB, parcels=[parcel])
    with pytest.raises(Conflict) as reused:
        shipments.shipment_create(actor=w.kigali, lane=lane, awb=AWB, parcels=[parcel])
    assert reused.value.code == "awb_in_use"


def test_dispatch_waits_for_the_export_release_and_import_delivery_for_its_release(w, lane):
    order = paid_order([(w.coffee, 1)], destination="BE")
    parcel = packed(w, order)
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    parcels.parcel_receive(actor=w.kigali, hub=w.kgl, code=parcel.code)
    shipment = shipments.shipment_create(actor=w.kigali, lane=lane, awb=AWB, parcels=[parcel])
    with pytest.raises(Conflict) as waiting:
        shipments.shipment_dispatch(actor=w.kigali, shipment=shipment)
    assert waiting.value.code == "export_not_released" and waiting.value.extra["parcels"] == [
        parcel.code
    ]
    _released_export(w, parcel)
    with pytest.raises(PermissionDenied):
        shipments.shipment_dispatch(actor=w.liege, shipment=shipment)
    shipments.shipment_dispatch(actor=w.kigali, shipment=shipment)
    with pytest.raises(Conflict):
        shipments.shipment_dispatch(actor=w.kigali, shipment=shipment)  # already gone
    with pytest.raises(PermissionDenied):
        shipments.shipment_arrive(actor=w.kigali, shipment=shipment)  # Liege records arrival
    shipments.shipment_arrive(actor=w.liege, shipment=shipment)
    parcel.refresh_from_db()
    assert parcel.import_clearance == Clearance.SUBMITTED
    with pytest.raises(Conflict) as not_released:
        delivery.parcel_out_for_delivery(actor=w.liege, parcel=parcel)
    assert not_released.value.code == "import_not_released"


def test_exceptions_damaged_held_resumed_and_returned(w, lane):
    order = paid_order([(w.coffee, 1)], destination="BE")
    parcel = packed(w, order)
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    parcels.parcel_receive(actor=w.kigali, hub=w.kgl, code=parcel.code)
    shipment = shipments.shipment_create(actor=w.kigali, lane=lane, awb=AWB, parcels=[parcel])

    damaged = exceptions.parcel_report_damage(
        actor=w.kigali, parcel=parcel, reason="corner crushed"
    )
    assert (damaged.status, damaged.shipment, damaged.status_before_exception) == (
        P.DAMAGED,
        None,
        P.RECEIVED,
    )
    with pytest.raises(InvalidRequest):
        exceptions.parcel_hold(actor=w.kigali, parcel=damaged, reason="  ")
    held = exceptions.parcel_hold(actor=w.kigali, parcel=damaged, reason="waiting for repacking")
    assert (held.status, held.status_before_exception) == (P.HELD, P.RECEIVED)
    resumed = exceptions.parcel_resume(actor=w.kigali, parcel=held, note="repacked")
    assert (resumed.status, resumed.exception_reason) == (P.RECEIVED, "")
    assert not shipment.parcels.exists()

    returned = exceptions.parcel_return(actor=w.kigali, parcel=resumed, reason="seller recalled it")
    assert (returned.status, returned.current_hub, returned.exception_reason) == (
        P.RETURNED,
        None,
        "seller recalled it",
    )
    with pytest.raises(Conflict):
        exceptions.parcel_resume(actor=w.kigali, parcel=returned)
    assert _kinds(parcel)[-4:] == ["damaged", "held", "resumed", "returned"]
    # The order follows its parcel; its money waits in escrow for the operator's refund.
    order.refresh_from_db()
    assert order.status == Order.Status.RETURNED
    last = order.events.last()
    assert (last.from_status, last.to_status, last.note, last.actor_label) == (
        Order.Status.HANDED_TO_HUB,
        Order.Status.RETURNED,
        "seller recalled it",
        "hub@demo.ewtp.rw",
    )
    # The operator refunds the buyer, or releases what is left to the seller (a sound parcel
    # refused at the door).
    assert [t.action for t in allowed_actions(w.operator, order)] == [
        "resolve",
        "refund",
    ]
    assert allowed_actions(w.kigali, order) == []


def test_an_order_follows_its_parcel_back_only_through_the_parcels_flow(w, lane):
    order = paid_order([(w.coffee, 1)], destination="BE")
    parcel = packed(w, order)
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    for actor in (w.liege, w.kigali, w.operator):  # not from the order's page or the API
        with pytest.raises(PermissionDenied):
            order_transition(actor=actor, order=order, action="return_to_seller")
    assert _status(order) == Order.Status.HANDED_TO_HUB


def test_only_the_hubs_of_the_order_act_on_it(w, lane):
    order = paid_order([(w.coffee, 1)], destination="CN")  # Kigali to Hangzhou
    order_accept(actor=w.seller, order=order)
    order_pack(actor=w.seller, order=order)
    order_hand_to_hub(actor=w.seller, order=order)
    assert "hub" in roles_for(w.kigali, order)
    assert roles_for(w.liege, order) == set()  # Liege has nothing to do with it
    with pytest.raises(NotFound):
        order_ship(actor=w.liege, order=order)
    assert _status(order) == Order.Status.HANDED_TO_HUB


def test_an_export_rejected_while_packed_returns_the_order(w):
    order = paid_order([(w.coffee, 1)], destination="BE")
    parcel = packed(w, order)
    customs_services.declarations_submit(actor=w.seller, parcel=parcel)
    export = parcel.declarations.get(kind="export")
    customs_services.declaration_decide(
        actor=w.officer_rw, declaration=export, action="reject", reason="prohibited", note="no"
    )
    parcel.refresh_from_db()
    assert (parcel.status, _status(order)) == (P.RETURNED, Order.Status.RETURNED)


def test_a_customs_hold_stops_the_parcel_until_the_release(w, lane):
    _order, parcel, _shipment = _at_liege(w, lane)
    imported = parcel.declarations.get(kind="import")
    customs_services.declaration_decide(
        actor=w.officer_be,
        declaration=imported,
        action="hold",
        reason="documents_missing",
        note="send the origin statement",
    )
    parcel.refresh_from_db()
    assert (parcel.status, parcel.exception_source) == (P.HELD, "customs:import")
    assert parcel.exception_reason == "Documents missing: send the origin statement"
    with pytest.raises(Conflict) as hub_cannot:
        exceptions.parcel_resume(actor=w.liege, parcel=parcel)
    assert hub_cannot.value.code == "customs_hold"
    customs_services.declaration_decide(actor=w.officer_be, declaration=imported, action="release")
    parcel.refresh_from_db()
    assert (parcel.status, parcel.import_clearance) == (P.ARRIVED, Clearance.RELEASED)
    delivery.parcel_out_for_delivery(actor=w.liege, parcel=parcel)


def test_a_customs_rejection_returns_the_parcel_with_the_reason(w, lane):
    order, parcel, _shipment = _at_liege(w, lane)
    imported = parcel.declarations.get(kind="import")
    customs_services.declaration_decide(
        actor=w.officer_be,
        declaration=imported,
        action="reject",
        reason="prohibited",
        note="not admissible",
    )
    parcel.refresh_from_db()
    assert (parcel.status, parcel.import_clearance) == (P.RETURNED, Clearance.REJECTED)
    assert parcel.exception_reason == "Prohibited goods: not admissible"
    order.refresh_from_db()
    assert order.status == Order.Status.RETURNED
    assert order.events.last().note == "Belgian Customs (AAD&A): Prohibited goods: not admissible"
    step = tracking_for_order(order)[-1]
    assert (step.kind, step.who, step.note) == (
        "customs_rejected",
        "Belgian Customs (AAD&A)",
        "Prohibited goods: not admissible",
    )


def test_a_seller_of_another_kind_cannot_pack(w):
    order = paid_order([(w.coffee, 1)], destination="BE")
    hub_only = Organisation.objects.get(slug="kigali-hub")
    assert hub_only.kind == Organisation.Kind.HUB_OPERATOR
    with pytest.raises(NotFound):
        parcels.parcel_create(
            actor=w.kigali, order=order, weight_kg="1", length_cm=10, width_cm=10, height_cm=10
        )


RWANDA = {
    "name": "Aline Uwase",
    "landmark": "Blue gate opposite Kimironko market",
    "city": "Gasabo",
    "phone": "0788 123 456",
}


def test_a_parcel_inside_rwanda_goes_from_intake_to_the_buyer_without_a_flight(w):
    order = paid_order([(w.coffee, 2)], destination="RW", currency="RWF", address=RWANDA)
    # 2 x 0.55 kg = 1.1 kg -> 1.5 kg chargeable: RWF 2,500 + 1.5 x 500.
    assert (order.shipping_minor, order.carriage["local"]) == (3250, True)
    parcel = packed(w, order, weight="1.2", dims=(20, 15, 10))
    assert (parcel.origin_hub, parcel.destination_hub, parcel.is_local) == (w.kgl, w.kgl, True)
    with pytest.raises(Conflict) as no_papers:
        customs_services.declarations_submit(actor=w.seller, parcel=parcel)
    assert no_papers.value.code == "no_declarations_needed"
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    parcels.parcel_receive(actor=w.kigali, hub=w.kgl, code=parcel.code)
    out = delivery.parcel_out_for_delivery(actor=w.kigali, parcel=parcel)
    assert out.status == P.OUT_FOR_DELIVERY
    assert _status(order) == Order.Status.SHIPPED
    delivery.parcel_deliver(actor=w.kigali, parcel=out, note="Aline at the gate")
    assert _status(order) == Order.Status.DELIVERED
    assert _kinds(parcel) == [
        "packed",
        "handed_over",
        "received",
        "out_for_delivery",
        "delivered",
    ]


def test_an_international_parcel_at_its_origin_hub_cannot_skip_the_flight(w):
    order = paid_order([(w.coffee, 1)], destination="BE")
    parcel = packed(w, order)
    parcels.parcel_hand_over(actor=w.seller, parcel=parcel)
    parcels.parcel_receive(actor=w.kigali, hub=w.kgl, code=parcel.code)
    with pytest.raises(PermissionDenied):  # Kigali does not work the Liege end
        delivery.parcel_out_for_delivery(actor=w.kigali, parcel=parcel)
    with pytest.raises(Conflict) as caught:
        delivery.parcel_out_for_delivery(actor=w.liege, parcel=parcel)
    assert caught.value.code == "invalid_transition"
    parcel.refresh_from_db()
    assert parcel.status == P.RECEIVED
