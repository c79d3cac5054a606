"""A check shared by the apps' admin tests: the admin shows a row and refuses to write it."""

from __future__ import annotations

from typing import Any

from django.db.models import Model


def assert_admin_refuses_writes(client: Any, path: str, row: Model, data: dict[str, Any]) -> None:
    """``path`` is ``app_label/model``. The list and the row's page show; a change (posting
    ``data``), an add and a delete answer 403; the row in the database is as it was."""
    table = type(row).objects.filter(pk=row.pk)
    before = table.values().get()
    base = f"/admin/{path}"
    assert client.get(f"{base}/").status_code == 200, path
    assert client.get(f"{base}/{row.pk}/change/").status_code == 200, path
    assert client.post(f"{base}/{row.pk}/change/", data).status_code == 403, path
    assert client.get(f"{base}/add/").status_code == 403, path
    assert client.post(f"{base}/add/", data).status_code == 403, path
    assert client.post(f"{base}/{row.pk}/delete/", {"post": "yes"}).status_code == 403, path
    assert table.values().get() == before, path
