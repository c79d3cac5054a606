"""The simulation's threshold chart (with its table and CSV) and its progress page."""

from __future__ import annotations

import csv
import io
import json
import math
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from ewtp.forum import charts
from ewtp.forum.models import Proposal, Simulation
from ewtp.forum.services.simulation import simulation_create, simulation_run
from ewtp.forum.tests.test_proposals import export, propose, set_tax

pytestmark = pytest.mark.django_db


def _cn_threshold_proposal(tmp_path: Any, amount: Decimal) -> Proposal:
    directory = export(tmp_path)
    path = directory / "regimes.json"
    regimes = json.loads(path.read_text(encoding="utf-8"))
    for regime in regimes["CN"]:
        if regime["id"] == "cn-cbec-retail":
            regime["conditions"]["value_threshold"]["amount"] = str(amount)
    path.write_text(json.dumps(regimes, indent=2, ensure_ascii=False), encoding="utf-8")
    return Proposal.objects.get(code=propose(directory)["code"])


def test_order_values_around_each_threshold_are_charted_with_table_and_csv(tmp_path, trade, client):
    (cn_order,) = trade["cn"]
    # China's retail channel compares the customs value (CIF) with its threshold.
    value = sum(Decimal(line["customs_value"]) for line in cn_order.quote["lines"])
    proposed = (value / Decimal("0.75")).quantize(Decimal(1))  # the order at about 75% of it
    share = value / proposed
    expected_bin = math.floor((share - Decimal("0.5")) * 10)
    assert expected_bin == 2  # 70..80% of the proposed threshold
    proposal = _cn_threshold_proposal(tmp_path, proposed)
    simulation = simulation_create(proposal=proposal, actor=None, filters={})
    done = simulation_run(simulation_id=simulation.pk)

    near = [cell for cell in done.details["near_thresholds"] if cell["territory"] == "CN"]
    # The shipped 5000 CNY is far above the order: only the proposed threshold has it near.
    assert near == [
        {
            "territory": "CN",
            "regime": "cn-cbec-retail",
            "threshold": str(proposed),
            "currency": "CNY",
            "on": "customs",
            "rules": "proposal",
            "orders": [0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
        }
    ]
    chart = charts.simulation_chart(done, "thresholds")
    assert chart is not None
    label = f"CN cn-cbec-retail: customs value ≤ {proposed} CNY (proposed)"
    row = next(r for r in chart.rows if r[0] == label)
    assert row == [label, "0", "0", "1", "0", "0", "0", "0", "0", "0", "0"]
    assert chart.columns[1] == "50..60%" and chart.columns[-1] == "140..150%"
    assert "<svg" in chart.svg and "<style" not in chart.svg and "<script" not in chart.svg

    page = client.get(reverse("forum:detail", args=[proposal.code])).content.decode()
    assert 'data-chart="thresholds"' in page and label in page
    answer = client.get(reverse("forum:chart_csv", args=[proposal.code, "thresholds"]))
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert rows[0][0] == "Threshold" and rows[0][1:] == chart.columns[1:]
    assert [label, "0", "0", "1", "0", "0", "0", "0", "0", "0", "0"] in rows
    missing = client.get(reverse("forum:chart_csv", args=[proposal.code, "nothing"]))
    assert missing.status_code == 404


def test_the_progress_page_refreshes_itself_until_the_simulation_is_done(tmp_path, trade, client):
    directory = export(tmp_path)
    set_tax(directory, "BE", "09", "0.12")
    proposal = Proposal.objects.get(code=propose(directory)["code"])
    simulation = simulation_create(proposal=proposal, actor=None, filters={})
    Simulation.objects.filter(pk=simulation.pk).update(
        status=Simulation.Status.RUNNING, done=1, total=4
    )
    url = reverse("forum:detail", args=[proposal.code])
    running = client.get(url).content.decode()
    assert "25%" in running and 'data-testid="simulation-progress"' in running
    assert 'hx-trigger="every 2s"' in running
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in running
    part = client.get(url + "?part=progress").content.decode()
    assert part.lstrip().startswith('<div id="simulation-progress"') and "25%" in part
    assert "<html" not in part

    simulation_run(simulation_id=simulation.pk)
    done_page = client.get(url).content.decode()
    assert "hx-trigger" not in done_page and 'http-equiv="refresh"' not in done_page
    # The polled box, once done, says so and brings the results back with a full load.
    answer = client.get(url + "?part=progress", headers={"HX-Request": "true"})
    done_part = answer.content.decode()
    assert "hx-trigger" not in done_part and 'data-state="done"' in done_part
    assert answer["HX-Refresh"] == "true"
