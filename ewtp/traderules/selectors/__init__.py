"""Reads of trade rules. Import from the concern module, e.g.
``from ewtp.traderules.selectors.snapshot import quote_compute``:

- ``permissions``: who may change rules and rates.
- ``snapshot``: the published rules and their quote snapshot (cached in-process), the quote itself.
- ``hs``: HS 2022 search and lookups.
- ``paging``: one page of an API list.
- ``published``: the published rules for the browser and the API, versions and exchange rates.
"""
