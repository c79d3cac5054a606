"""Writes of logistics: parcels from the seller's door to the buyer's, and shipments.

Every transition checks the parcel's state (a forbidden move is a 409 ``invalid_transition``)
and the actor's right (members of the hub's operator, the seller's members for their own
steps), writes a tracking event and an audit record, and moves the order through the orders
services (pack, hand to hub, ship, deliver); logistics never writes the orders tables.

Callers import from the concern's module (no re-exports here):

- ``common``: the transitions' table, actor checks, tracking events, audit, measures.
- ``parcels``: the seller's steps (create, update, hand over) and the hub's intake.
- ``intake``: many codes scanned or pasted at once at the hub, each received on its own.
- ``shipments``: consolidation under an air waybill, dispatch and arrival.
- ``delivery``: out for delivery, delivered, the buyer's confirmation.
- ``exceptions``: damage, hold, resume, return.
- ``clearance``: customs keeps a parcel's clearance in step (``parcel_clearance_set``).
"""
