"""Is a database transaction open? (Outside calls must not be made inside one.)"""

from __future__ import annotations

from django.db import connection


def in_transaction() -> bool:
    """True inside an atomic block of the platform's own; the wrapping transaction a test case
    opens around each test does not count, so tests see what production sees."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)
