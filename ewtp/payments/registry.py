"""What to do when a payment for an order, a booking or a course succeeds or fails.

Each app that takes payments registers its handlers in its AppConfig.ready(); the payments
app calls them explicitly, inside the transaction that settles the payment, after the payment's
capture is recorded. A subject registered with ``returns_postings`` instead has its success
handler called first and return its ledger postings (the money's next move, into an order's
escrow): they are recorded with the capture, in one go, after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ewtp.ledger.services import PostingSpec
    from ewtp.payments.models import Payment

Handler = Callable[["Payment"], None]
SuccessHandler = Callable[["Payment"], "Sequence[PostingSpec] | None"]


@dataclass(frozen=True)
class SubjectHandlers:
    on_succeeded: SuccessHandler
    on_failed: Handler
    returns_postings: bool = False


_HANDLERS: dict[str, SubjectHandlers] = {}


def register_subject(
    subject_type: str,
    *,
    on_succeeded: SuccessHandler,
    on_failed: Handler,
    returns_postings: bool = False,
) -> None:
    _HANDLERS[subject_type] = SubjectHandlers(on_succeeded, on_failed, returns_postings)


def handlers_for(subject_type: str) -> SubjectHandlers | None:
    return _HANDLERS.get(subject_type)
