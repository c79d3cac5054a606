"""API of trade rules: the landed-cost quote and the public rule data."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["traderules"])
quotes_router = Router(tags=["quotes"])
