"""Order transitions with their history, who may take them, and the ledger side of each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.accounts.selectors import is_platform_operator, role_in
from ewtp.catalog.services.stock import stock_holds_release, stock_return
from ewtp.core import clock
from ewtp.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from ewtp.core.locks import lock_rows, retry_on_lock_timeout
from ewtp.core.money import Money
from ewtp.core.services import audit_record
from ewtp.logistics.models import Hub
from ewtp.orders.models import Order, OrderEvent
from ewtp.orders.services import money
from ewtp.orders.services.mails import ORDER_MAILS, _after_commit, _enqueue_order_mail


@dataclass(frozen=True)
class BuyerAccess:
    """A guest buyer proven by the checkout's access token (no account needed)."""

    checkout_id: int
    email: str

    @property
    def is_authenticated(self) -> bool:  # audit_record treats it as a label, not a user
        return False

    def __str__(self) -> str:
        return f"buyer {self.email}"


Actor = User | BuyerAccess | None


S = Order.Status


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    who: frozenset[str]  # seller, hub, operator, buyer, system
    label: str
    offered: bool = True  # a button on the order page; False: only through its own flow


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "accept", frozenset({S.PAID}), S.ACCEPTED, frozenset({"seller", "operator"}), "Accept"
        ),
        Transition(
            "pack",
            frozenset({S.ACCEPTED}),
            S.PACKED,
            frozenset({"seller", "operator"}),
            "Mark packed",
        ),
        Transition(
            "hand_to_hub",
            frozenset({S.PACKED}),
            S.HANDED_TO_HUB,
            frozenset({"seller", "operator"}),
            "Handed to the hub",
        ),
        Transition(
            "ship",
            frozenset({S.HANDED_TO_HUB}),
            S.SHIPPED,
            frozenset({"hub", "operator"}),
            "Mark shipped",
        ),
        Transition(
            "deliver",
            frozenset({S.SHIPPED}),
            S.DELIVERED,
            frozenset({"hub", "operator"}),
            "Mark delivered",
        ),
        Transition(
            "complete",
            frozenset({S.DELIVERED}),
            S.COMPLETED,
            frozenset({"buyer", "operator", "system"}),
            "Confirm receipt",
        ),
        Transition(
            "dispute",
            frozenset({S.SHIPPED, S.DELIVERED}),
            S.DISPUTED,
            frozenset({"buyer", "operator"}),
            "Open a dispute",
        ),
        Transition(
            "resolve",  # a dispute, or a parcel returned: the rest of the escrow to the seller
            frozenset({S.DISPUTED, S.RETURNED}),
            S.COMPLETED,
            frozenset({"operator"}),
            "Resolve: release to the seller",
        ),
        Transition(
            "cancel",
            frozenset({S.PENDING_PAYMENT, S.PAID, S.ACCEPTED}),
            S.CANCELLED,
            frozenset({"seller", "operator", "buyer", "system"}),
            "Cancel",
        ),
        Transition(
            "return_to_seller",  # the parcel came back: refused, undeliverable, or by customs
            frozenset({S.PACKED, S.HANDED_TO_HUB, S.SHIPPED}),
            S.RETURNED,
            frozenset({"hub", "operator", "system"}),
            "Returned to the seller",
            offered=False,
        ),
        Transition(
            "refund",
            frozenset({S.CANCELLED, S.DELIVERED, S.COMPLETED, S.DISPUTED, S.RETURNED}),
            S.REFUNDED,
            frozenset({"operator", "system"}),
            "Refund",
        ),
    )
}


def roles_for(actor: Actor, order: Order) -> set[str]:
    """What ``actor`` is to ``order``: seller, hub, operator, buyer, system (or nothing)."""
    if actor is None:
        return {"system"}
    if isinstance(actor, BuyerAccess):
        return {"buyer"} if actor.checkout_id == order.checkout_id else set()
    roles: set[str] = set()
    if not getattr(actor, "is_authenticated", False):
        return roles
    if is_platform_operator(actor):
        roles.add("operator")
    role = role_in(actor, order.seller)
    if role in {Membership.Role.OWNER, Membership.Role.STAFF}:
        roles.add("seller")
    elif role is not None:
        roles.add("seller_viewer")
    if (
        Hub.objects.filter(Q(code=order.hub_code) | Q(coverage__country=order.destination))
        .filter(
            operator__verification=Organisation.Verification.VERIFIED,
            operator__memberships__user=actor,
            operator__memberships__role__in=[Membership.Role.OWNER, Membership.Role.STAFF],
        )
        .exists()
    ):
        roles.add("hub")  # staff of the hub it leaves from or of the one that delivers it
    if order.checkout.user_id is not None and order.checkout.user_id == actor.pk:
        roles.add("buyer")
    return roles


def allowed_actions(actor: Actor, order: Order) -> list[Transition]:
    roles = roles_for(actor, order)
    return [
        t
        for t in TRANSITIONS.values()
        if t.offered and roles & t.who and _may(t, roles, order) and _state_allows(t, order)
    ]


def _may(transition: Transition, roles: set[str], order: Order) -> bool:
    """The actor's right, beyond its role: a buyer alone may only cancel what is unpaid."""
    if transition.action == "cancel" and not roles & {"seller", "operator", "system"}:
        return order.status == S.PENDING_PAYMENT
    return True


def _state_allows(transition: Transition, order: Order) -> bool:
    if order.status not in transition.sources:
        return False
    if transition.action == "refund" and order.status == S.CANCELLED:
        return order.events.filter(to_status=S.PAID).exists()  # only money taken is refunded
    return True


def _apply(order: Order, target: str, *, actor: Actor, note: str, now: datetime) -> Order:
    source = order.status
    order.status = target
    order.updated_at = now
    order.save(update_fields=["status", "updated_at"])
    user = actor if isinstance(actor, User) else None
    OrderEvent.objects.create(
        order=order,
        from_status=source,
        to_status=target,
        actor=user,
        actor_label=str(getattr(actor, "email", "") or actor or "system"),
        note=note,
        created_at=now,
    )
    audit_record(
        actor=actor,
        action=f"orders.order.{target}",
        target=order,
        organisation_ref=str(order.seller.public_id),
        data={"from": source, "to": target, "note": note},
    )
    return order


def _apply_many_by_system(
    orders: list[Order], target: str, *, note: str, now: datetime
) -> list[dict[str, Any]]:
    """``_apply`` for several orders moved by the platform itself (no actor), in two
    statements whatever their number (one UPDATE, one INSERT of their events); returns their
    audit entries for the caller to write in one statement with its own (``audit_records``).
    The orders are locked by the caller and come with their sellers."""
    sources = [order.status for order in orders]
    Order.objects.filter(pk__in=[order.pk for order in orders]).update(
        status=target, updated_at=now
    )
    for order in orders:
        order.status = target
        order.updated_at = now
    OrderEvent.objects.bulk_create(
        [
            OrderEvent(
                order=order,
                from_status=source,
                to_status=target,
                actor=None,
                actor_label="system",
                note=note,
                created_at=now,
            )
            for order, source in zip(orders, sources, strict=True)
        ]
    )
    return [
        {
            "actor": None,
            "action": f"orders.order.{target}",
            "target": order,
            "organisation_ref": str(order.seller.public_id),
            "data": {"from": source, "to": target, "note": note},
        }
        for order, source in zip(orders, sources, strict=True)
    ]


def order_transition(
    *, actor: Actor, order: Order, action: str, note: str = "", by_flow: bool = False
) -> Order:
    """Move ``order`` by ``action`` if its current state and the actor's right allow it.

    An action not offered on the order's page (a return to the seller) is taken only by its
    own flow (``by_flow``: the parcel's return), never from the page or the API.
    """
    transition = TRANSITIONS.get(action)
    if transition is not None and not transition.offered and not by_flow:
        raise PermissionDenied(
            "permission_denied",
            _("This step follows the parcel: it is not taken from the order's page."),
        )
    if transition is None:
        raise InvalidRequest(
            "invalid_request",
            _("Unknown action %(action)s.") % {"action": repr(action)},
            fields={"action": "unknown"},
        )

    def run() -> Order:
        with transaction.atomic():
            current = lock_rows(
                Order.objects.filter(pk=order.pk).select_related("seller", "checkout")
            )
            if not current:
                raise NotFound("not_found", _("No such order."))
            locked = current[0]
            roles = roles_for(actor, locked)
            if not roles:
                raise NotFound("not_found", _("No such order."))
            if not (roles & transition.who) or not _may(transition, roles, locked):
                if locked.status in transition.sources:
                    raise PermissionDenied(
                        "permission_denied", _("You may not do this to this order.")
                    )
            if not _state_allows(transition, locked):
                raise Conflict(
                    "invalid_transition",
                    _("An order that is %(status)s cannot be moved by %(action)s.")
                    % {"status": locked.get_status_display().lower(), "action": action},
                    extra={"status": locked.status},
                )
            source = locked.status
            _apply(locked, transition.target, actor=actor, note=note, now=clock.now())
            reference = str(locked.public_id)
            if transition.target == S.CANCELLED:
                if source == S.PENDING_PAYMENT:
                    stock_holds_release(reference=reference)
                else:
                    stock_return(reference=reference)
            if transition.target in ORDER_MAILS:
                _after_commit(partial(_enqueue_order_mail, locked.pk, transition.target))
            _move_money(locked, source=source, target=transition.target, actor=actor, note=note)
            return locked

    result = retry_on_lock_timeout(run)
    order.status = result.status
    return result


def _move_money(order: Order, *, source: str, target: str, actor: Actor, note: str) -> None:
    """The ledger side of a transition, in the same transaction (see orders.services.money)."""
    if target == S.COMPLETED:
        money.escrow_release(order)
    elif target == S.CANCELLED and source != S.PENDING_PAYMENT:
        if money.refundable_minor(order) > 0:
            money.order_money_refund(order, reason=note or "order cancelled", actor=actor)
    elif target == S.REFUNDED and money.refundable_minor(order) > 0:
        money.order_money_refund(order, reason=note or "order refunded", actor=actor)


def order_refund_partial(*, actor: Actor, order: Order, amount: Money, reason: str) -> Order:
    """Give part of an order's money back (before or after release); the operator decides."""
    if not is_platform_operator(actor):
        raise PermissionDenied("permission_denied", _("Only the platform operator refunds."))
    if amount.currency != order.currency:
        raise InvalidRequest(
            "invalid_request",
            _("Refund in %(currency)s.") % {"currency": order.currency},
            fields={"amount": f"in {order.currency}"},
        )
    if amount.rounded().minor <= 0:
        raise InvalidRequest(
            "invalid_request",
            _("A refund is at least %(amount)s.") % {"amount": Money.from_minor(1, order.currency)},
            fields={"amount": "more than zero"},
        )
    with transaction.atomic():
        locked = lock_rows(Order.objects.filter(pk=order.pk).select_related("seller", "checkout"))[
            0
        ]
        money.order_money_refund(
            locked, amount_minor=amount.rounded().minor, reason=reason, actor=actor
        )
        OrderEvent.objects.create(
            order=locked,
            from_status=locked.status,
            to_status=locked.status,
            actor=actor if isinstance(actor, User) else None,
            actor_label=str(getattr(actor, "email", "")),
            note=f"partial refund {amount}: {reason}",
            created_at=clock.now(),
        )
    return locked


def order_dispute(*, actor: Actor, order: Order, note: str = "") -> Order:
    return order_transition(actor=actor, order=order, action="dispute", note=note)


def order_accept(*, actor: Actor, order: Order) -> Order:
    return order_transition(actor=actor, order=order, action="accept")


def order_pack(*, actor: Actor, order: Order) -> Order:
    return order_transition(actor=actor, order=order, action="pack")


def order_hand_to_hub(*, actor: Actor, order: Order) -> Order:
    return order_transition(actor=actor, order=order, action="hand_to_hub")


def order_ship(*, actor: Actor, order: Order, note: str = "") -> Order:
    return order_transition(actor=actor, order=order, action="ship", note=note)


def order_deliver(*, actor: Actor, order: Order) -> Order:
    return order_transition(actor=actor, order=order, action="deliver")


def order_return_to_seller(*, actor: Actor, order: Order, note: str = "") -> Order:
    """The parcel went back to the seller; the money stays in escrow until the operator
    refunds the buyer (whole, or in part when the buyer refused a sound parcel)."""
    return order_transition(
        actor=actor, order=order, action="return_to_seller", note=note, by_flow=True
    )


def order_complete(*, actor: Actor, order: Order) -> Order:
    return order_transition(actor=actor, order=order, action="complete")


def order_cancel(*, actor: Actor, order: Order, note: str = "") -> Order:
    return order_transition(actor=actor, order=order, action="cancel", note=note)


def order_refund(*, actor: Actor, order: Order, note: str = "") -> Order:
    return order_transition(actor=actor, order=order, action="refund", note=note)
