"""API of learning."""

from ninja import Router

router = Router(tags=["learning"])
