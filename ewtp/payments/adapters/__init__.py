"""Adapters for real payment providers, each speaking its provider's published HTTP protocol."""
