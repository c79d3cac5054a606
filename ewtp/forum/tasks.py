"""Background work of the rules forum: simulations and the mails to sellers."""

from __future__ import annotations

from django.tasks import task


@task
def simulate_proposal(simulation_id: int) -> int:
    from ewtp.forum.services.simulation import simulation_fail, simulation_run

    try:
        return simulation_run(simulation_id=simulation_id).done
    except Exception as error:
        simulation_fail(simulation_id=simulation_id, error=str(error))
        raise


@task
def send_proposal_notices(proposal_id: int) -> int:
    from ewtp.forum.services.notices import notices_send

    return notices_send(proposal_id=proposal_id)


@task
def advance_proposals() -> int:
    from ewtp.forum.services.proposals import proposals_advance

    return proposals_advance()
