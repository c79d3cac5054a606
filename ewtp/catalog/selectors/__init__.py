"""Reads of the catalog, one module per concern (import from the module, not from here).

- ``listing``: the public listing with landed prices, its filters and cards.
- ``products``: one product, variant or photo, with who may see it.
- ``sellers``: sellers' public pages and their private side.
"""
