"""Errors of the catalog."""

from __future__ import annotations

from ewtp.core.errors import Conflict, InvalidRequest


class OutOfStock(Conflict):
    """Fewer units left than asked for; names the product and what remains (HTTP 409)."""

    code = "out_of_stock"


class ImportRejected(InvalidRequest):
    """A CSV import with at least one bad row; ``extra["errors"]`` lists row, column, message."""

    code = "import_rejected"
