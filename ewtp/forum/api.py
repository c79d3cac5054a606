"""JSON API of the rules forum: the proposals, public (rules-forum.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Router

from ewtp.core.errors import NotFound
from ewtp.forum.models import Proposal, Simulation
from ewtp.forum.selectors.snapshot import proposal_list
from ewtp.forum.services.simulation import simulation_summary
from ewtp.forum.words import describe_changes

router = Router(tags=["rules forum"])
API_CHANGED_ITEMS = 100


def _item(proposal: Proposal, language: str) -> dict[str, Any]:
    return {
        "code": proposal.code,
        "title": proposal.text("title", language),
        "kind": proposal.kind,
        "status": proposal.status,
        "effective_on": proposal.effective_on.isoformat(),
        "consultation_closes_on": (
            proposal.consultation_closes_on.isoformat() if proposal.consultation_closes_on else None
        ),
    }


@router.get("/rules/proposals", summary="Rule proposals", response=dict)
def proposals_index(request: HttpRequest) -> dict[str, Any]:
    language = get_language() or "en"
    items = [_item(proposal, language) for proposal in proposal_list()]
    return {"items": items, "count": len(items)}


@router.get("/rules/proposals/{code}", summary="A rule proposal", response=dict)
def proposal_detail(request: HttpRequest, code: str) -> dict[str, Any]:
    proposal = Proposal.objects.filter(code=code).first()
    if proposal is None:
        raise NotFound("unknown_proposal", f"No proposal {code}.")
    language = get_language() or "en"
    revision = proposal.revisions.order_by("-number").first()
    assert revision is not None
    simulation = (
        Simulation.objects.filter(proposal=proposal, status=Simulation.Status.DONE)
        .order_by("-finished_at", "-id")
        .first()
    )
    return {
        **_item(proposal, language),
        "rationale": proposal.text("rationale", language),
        "legal_act": proposal.legal_act,
        "revision": revision.number,
        "base_version": revision.base_version,
        "adopted_version": proposal.adopted_version or None,
        "consultation_opens_on": (
            proposal.consultation_opens_on.isoformat() if proposal.consultation_opens_on else None
        ),
        "changes": [
            {**change, "words": words}
            for change, words in zip(
                revision.changes,
                describe_changes(revision.changes, proposal.effective_on),
                strict=True,
            )
        ],
        "simulation": None
        if simulation is None
        else {
            "id": str(simulation.public_id),
            "revision": simulation.revision,
            "inputs_hash": simulation.inputs_hash,
            "inputs": simulation.inputs,
            # orders_changed: the first API_CHANGED_ITEMS (``changed`` counts them all).
            "summary": simulation_summary(simulation, limit=API_CHANGED_ITEMS),
        },
    }
