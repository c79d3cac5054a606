"""Writes of orders, one module per concern (import from the module, not from here).

- ``carts``: carts and their lines.
- ``checkout``: the checkout (quotes fixed, stock held, one order per seller).
- ``handover``: payment hand-over (paid, released) and the buyer's identity number.
- ``transitions``: order transitions, who may take them (``BuyerAccess``, ``roles_for``).
- ``holds``: expiring unpaid holds.
- ``mails``: mails to the buyer, after commit.
- ``money``: the ledger side: payment, escrow release, fees, refunds, sellers' balances.
"""
