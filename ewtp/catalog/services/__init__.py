"""Writes of the catalog, one module per concern (import from the module, not from here).

- ``common``: who may edit a seller's catalog, field checks shared by the writes, reindexing.
- ``products``: product validation, create, update, translations, publish and unpublish.
- ``variants``: a product's sizes, priced in the seller's currency.
- ``photos``: product photos, resized.
- ``stock``: stock levels and their holds (what orders depends on).
- ``imports``: a seller's CSV import of products.
- ``categories``: categories.
"""
