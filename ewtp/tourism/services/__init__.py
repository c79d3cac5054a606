"""Every write of tourism: holds, confirmations, expiry, cancellation, date changes, check-ins.

Places are taken with one conditional UPDATE on the day's capacity row (``capacity_take``)
inside the short transaction that writes the booking; the payment provider is asked only
after that transaction has committed. Money moves through the ledger when the payment
succeeds (``on_payment_succeeded``, called by the payments app inside its own transaction).

Callers import from the concern's module (no re-exports here):

- ``common``: roles, domain errors (``SoldOut``, ``AlreadyCheckedIn``), settings, local date.
- ``access``: a guest's booking link and its token.
- ``capacity``: a day's places, weekday defaults and exceptions.
- ``holds``: quote, visitor checks, holding places, starting the payment, expiry of holds.
- ``payments``: payment outcomes (confirmation, the ledger split).
- ``changes``: cancellation, refunds, date changes.
- ``gate``: voucher token and check-in.
"""
