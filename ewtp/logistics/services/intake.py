"""Batch intake at a hub: many labels scanned (or pasted) at once. Each code is received in
its own transaction, so a code that fails changes nothing and does not stop the others; the
result says, for every code given, whether it was received and otherwise why not."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ewtp.core.errors import DomainError, InvalidRequest
from ewtp.logistics.models import Hub, Parcel
from ewtp.logistics.services.common import _require_hub_worker
from ewtp.logistics.services.parcels import parcel_receive

MAX_BATCH = 200  # codes in one batch
_SEPARATORS = re.compile(r"[\n\r,;\t]+")
_LOOKS_LIKE_A_CODE = re.compile(r"^[A-Za-z]{3}-?[0-9A-Za-z]{8}-?[0-9A-Za-z]$")


@dataclass(frozen=True)
class ScanResult:
    """One code of a batch: ``outcome`` is ``received`` or the refusal's code (for tests and
    the page's colour), ``message`` the sentence people read."""

    given: str
    outcome: str
    message: str
    parcel: Parcel | None = None

    @property
    def is_received(self) -> bool:
        return self.outcome == "received"


def scan_outcome(error: DomainError) -> str:
    """The refusal's code for the page: a repeated scan is an ``invalid_transition`` to the API
    and ``already_received`` here."""
    return str(error.extra.get("reason") or error.code)


def codes_from_text(text: str) -> list[str]:
    """The codes in what was scanned or pasted: one a line (or separated by commas or
    semicolons); a line of several whole codes separated by spaces is split as well, while a
    code typed in groups ("kgl 7q4mx2pa k") stays one code."""
    codes: list[str] = []
    for chunk in _SEPARATORS.split(text or ""):
        words = chunk.split()
        if not words:
            continue
        if len(words) > 1 and all(_LOOKS_LIKE_A_CODE.match(word) for word in words):
            codes.extend(words)
        else:
            codes.append(" ".join(words))
    return codes


def parcels_receive_batch(*, actor: object, hub: Hub, text: str) -> list[ScanResult]:
    """Receive every code in ``text`` at the hub, each on its own; a code listed twice is
    received once and the repeat says so."""
    _require_hub_worker(actor, hub)
    codes = codes_from_text(text)
    if not codes:
        raise InvalidRequest(
            "invalid_request", _("Scan or paste at least one parcel code."), fields={"codes": ""}
        )
    if len(codes) > MAX_BATCH:
        raise InvalidRequest(
            "invalid_request",
            _("At most %(count)s codes at once: split the list.") % {"count": MAX_BATCH},
            fields={"codes": ""},
        )
    results: list[ScanResult] = []
    seen: set[str] = set()
    for given in codes:
        key = re.sub(r"[\s-]", "", given).upper()
        if key in seen:
            results.append(
                ScanResult(
                    given,
                    "duplicate_in_batch",
                    _("Listed twice in this batch: received once above."),
                )
            )
            continue
        seen.add(key)
        try:
            parcel = parcel_receive(actor=actor, hub=hub, code=given)
        except DomainError as error:
            results.append(ScanResult(given, scan_outcome(error), error.message))
        else:
            results.append(
                ScanResult(
                    parcel.code,
                    "received",
                    _("Received: from %(seller)s, for %(hub)s.")
                    % {"seller": parcel.seller.name, "hub": parcel.destination_hub.code},
                    parcel,
                )
            )
    return results
