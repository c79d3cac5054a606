"""Quote snapshots of a proposal (its base rules with its row changes applied in memory) and of
its base version, cached in-process per proposal revision and exchange-rate revision."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ewtp.forum import changes as rows
from ewtp.forum.models import Proposal, Revision
from ewtp.traderules.engine import Snapshot
from ewtp.traderules.errors import QuoteRejectedError
from ewtp.traderules.models import RuleVersion
from ewtp.traderules.selectors.snapshot import current_rules, fx_revision, snapshot_for_content
from ewtp.traderules.services.validation import EDITABLE_MODELS

KEYS: dict[str, tuple[str, ...]] = {table: model.KEY for table, model in EDITABLE_MODELS.items()}
_MAX_CACHED = 16
_lock = threading.Lock()
_cache: dict[tuple[Any, ...], Snapshot] = {}


class UnknownProposal(QuoteRejectedError):
    code = "unknown_proposal"


def _cached(key: tuple[Any, ...], build: Callable[[], Snapshot]) -> Snapshot:
    with _lock:
        found = _cache.get(key)
    if found is not None:
        return found
    snapshot = build()
    with _lock:
        if len(_cache) >= _MAX_CACHED:
            _cache.pop(next(iter(_cache)))
        _cache[key] = snapshot
    return snapshot


def version_snapshot(label: str) -> Snapshot:
    """The snapshot of a published version (the one in force comes from trade rules' cache)."""
    rules = current_rules()
    if rules.label == label:
        return rules.snapshot
    pk, created_at, content = RuleVersion.objects.values_list("pk", "created_at", "content").get(
        label=label
    )
    return _cached(
        ("version", label, pk, created_at, fx_revision()),
        lambda: snapshot_for_content(content, label=label),
    )


def revision_snapshot(revision: Revision) -> Snapshot:
    """The base version with the revision's changes applied (rows replaced outright)."""
    code = revision.proposal.code
    label = f"{revision.base_version}+{code}.r{revision.number}"

    def build() -> Snapshot:
        base = RuleVersion.objects.values_list("content", flat=True).get(
            label=revision.base_version
        )
        content, _conflicts = rows.apply(base, revision.changes, KEYS)
        return snapshot_for_content(content, label=label)

    digest = hashlib.sha256(json.dumps(revision.changes, sort_keys=True).encode()).hexdigest()
    key = ("proposal", code, revision.number, revision.base_version, digest, fx_revision())
    return _cached(key, build)


def proposal_revision(code: str) -> Revision:
    revision = (
        Revision.objects.select_related("proposal")
        .filter(proposal__code=code)
        .order_by("-number")
        .first()
    )
    if revision is None:
        raise UnknownProposal(
            "unknown_proposal",
            _("No proposal %(code)s.") % {"code": code},
            fields={"rules": "unknown proposal"},
        )
    return revision


def proposal_rules(code: str) -> Snapshot:
    """The resolver of ``"rules": "proposal:CODE"``: the latest revision's snapshot."""
    return revision_snapshot(proposal_revision(code))


def proposal_list() -> list[Proposal]:
    return list(Proposal.objects.order_by("-created_at", "-id"))


def snapshots_clear() -> None:
    """Forget the cached snapshots (tests; a process sees new revisions by their key)."""
    with _lock:
        _cache.clear()


_OPEN = (Proposal.Status.DRAFT, Proposal.Status.CONSULTATION, Proposal.Status.REVIEW)


def proposal_choices() -> list[tuple[str, str]]:
    """The calculator's choices: proposals not yet decided, as ``proposal:CODE``."""
    found = Proposal.objects.filter(status__in=_OPEN).order_by("-created_at", "-id")[:30]
    return [
        (f"proposal:{p.code}", f"{p.code}: {p.text('title', get_language() or 'en')}")
        for p in found
    ]
