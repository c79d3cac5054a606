"""A task the worker's tests queue: it answers with its argument."""

from __future__ import annotations

from django.tasks import task


@task
def note_task(text: str) -> str:
    return text
