"""What to do when a payment for an order, a booking or a course succeeds or fails.

Each app that takes payments registers its handlers in its AppConfig.ready(); the payments
app calls them explicitly, inside the transaction that settles the payment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ewtp.payments.models import Payment

Handler = Callable[["Payment"], None]


@dataclass(frozen=True)
class SubjectHandlers:
    on_succeeded: Handler
    on_failed: Handler


_HANDLERS: dict[str, SubjectHandlers] = {}


def register_subject(subject_type: str, *, on_succeeded: Handler, on_failed: Handler) -> None:
    _HANDLERS[subject_type] = SubjectHandlers(on_succeeded, on_failed)


def handlers_for(subject_type: str) -> SubjectHandlers | None:
    return _HANDLERS.get(subject_type)
