"""API of customs."""

from ninja import Router

router = Router(tags=["customs"])
