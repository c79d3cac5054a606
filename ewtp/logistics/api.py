"""API of logistics."""

from ninja import Router

router = Router(tags=["logistics"])
