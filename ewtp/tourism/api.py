"""API of tourism."""

from ninja import Router

router = Router(tags=["tourism"])
