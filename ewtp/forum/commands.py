"""`ewtp rules propose DIR ...` and `ewtp rules simulate CODE ...` (rules-forum.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from ewtp.core.errors import InvalidRequest
from ewtp.forum.models import Proposal
from ewtp.traderules.extensions import RulesSubcommand


def _date(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            "invalid_request", f"{field} is not a date (YYYY-MM-DD).", fields={field: "not a date"}
        ) from None


def _propose_arguments(parser: Any) -> None:
    parser.add_argument("directory")
    parser.add_argument("--title", required=True)
    parser.add_argument("--effective", required=True, help="YYYY-MM-DD")
    parser.add_argument(
        "--kind", default=Proposal.Kind.PLATFORM_POLICY, choices=Proposal.Kind.values
    )
    parser.add_argument("--rationale", default="")
    parser.add_argument("--act", default="", help="the legal act a legal_mirror proposal mirrors")
    parser.add_argument("--language", default="en")


def _propose(options: dict[str, Any], stdout: Any, stderr: Any) -> dict[str, Any]:
    from ewtp.forum.services.proposals import latest_revision, proposal_propose

    effective = _date(options["effective"], "effective")
    assert effective is not None
    proposal = proposal_propose(
        directory=options["directory"],
        title=options["title"],
        effective_on=effective,
        kind=options["kind"],
        language=options["language"],
        rationale=options["rationale"],
        legal_act=options["act"],
    )
    return {
        "code": proposal.code,
        "status": proposal.status,
        "changes": len(latest_revision(proposal).changes),
    }


def _simulate_arguments(parser: Any) -> None:
    parser.add_argument("code")
    parser.add_argument("--from", dest="date_from", default=None, help="YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", default=None, help="YYYY-MM-DD")
    parser.add_argument("--destination", action="append", default=[], help="repeatable")
    parser.add_argument("--incoterm", choices=["DDP", "DAP"], default=None)


def _simulate(options: dict[str, Any], stdout: Any, stderr: Any) -> dict[str, Any]:
    from ewtp.forum.services.proposals import proposal_get
    from ewtp.forum.services.simulation import (
        simulation_create,
        simulation_run,
        simulation_summary,
    )

    filters: dict[str, Any] = {}
    for key, name in (("date_from", "from"), ("date_to", "to")):
        day = _date(options.get(key), name)
        if day is not None:
            filters[name] = day.isoformat()
    if options.get("destination"):
        filters["destinations"] = [d.upper() for d in options["destination"]]
    if options.get("incoterm"):
        filters["incoterm"] = options["incoterm"]
    proposal = proposal_get(options["code"])
    simulation = simulation_create(proposal=proposal, actor=None, filters=filters)

    def progress(done: int, total: int) -> None:
        stderr.write(f"{done}/{total} orders replayed")

    simulation = simulation_run(simulation_id=simulation.pk, progress=progress)
    return simulation_summary(simulation)


PROPOSE = RulesSubcommand(
    name="propose",
    help="record a draft proposal from rule files in DIR (diffed against the rules in force)",
    add_arguments=_propose_arguments,
    run=_propose,
)
SIMULATE = RulesSubcommand(
    name="simulate",
    help="replay the orders of a period under the base rules and under a proposal",
    add_arguments=_simulate_arguments,
    run=_simulate,
)
