"""API of payments."""

from ninja import Router

router = Router(tags=["payments"])
