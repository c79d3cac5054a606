"""Proposals end to end: drafted from files, simulated on orders placed through checkout,
quoted through the API, consulted on and adopted."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ewtp.catalog.tests.factories import ADDRESSES, make_user
from ewtp.core import clock
from ewtp.core.errors import Conflict
from ewtp.core.models import AuditLog
from ewtp.forum.models import Comment, Proposal
from ewtp.forum.services import comments, proposals
from ewtp.forum.services.proposals import published_version
from ewtp.forum.services.simulation import simulation_create, simulation_run, simulation_summary
from ewtp.orders.models import Order
from ewtp.orders.services.carts import cart_create, cart_line_add
from ewtp.orders.services.checkout import checkout_place
from ewtp.traderules.errors import RulesInvalid
from ewtp.traderules.selectors.snapshot import quote_compute
from ewtp.traderules.services.versions import rules_export

pytestmark = pytest.mark.django_db
EFFECTIVE = date(2027, 1, 1)


def place(products: list[tuple[Any, int]], destination: str, currency: str) -> list[Order]:
    cart = cart_create()
    for product, quantity in products:
        cart_line_add(cart=cart, product_id=str(product.public_id), quantity=quantity)
    checkout = checkout_place(
        cart=cart,
        email="anne@example.org",
        destination=destination,
        currency=currency,
        shipping_address=ADDRESSES[destination],
    )
    return list(checkout.orders.order_by("id"))


def export(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    rules_export(target)
    return target


def set_tax(directory: Path, country: str, prefix: str, rate: str) -> None:
    path = directory / "taxes.csv"
    with path.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        records = list(reader)
    hit = [r for r in records if r["country"] == country and r["hs_prefix"] == prefix]
    assert len(hit) == 1
    hit[0]["rate"] = rate
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


def propose(directory: Path, kind: str = "platform_policy") -> dict[str, Any]:
    out: list[str] = []

    class Out:
        def write(self, text: str) -> None:
            out.append(text)

    call_command(
        "rules",
        "propose",
        str(directory),
        "--title",
        "Coffee and tea VAT into Belgium",
        "--effective",
        EFFECTIVE.isoformat(),
        "--kind",
        kind,
        stdout=Out(),
    )
    return json.loads("".join(out))


def simulate(code: str) -> dict[str, Any]:
    proposal = Proposal.objects.get(code=code)
    simulation = simulation_create(proposal=proposal, actor=None, filters={})
    return simulation_summary(simulation_run(simulation_id=simulation.pk))


def test_a_vat_change_moves_exactly_the_orders_it_should_by_the_right_amount(tmp_path, trade):
    directory = export(tmp_path)
    set_tax(directory, "BE", "09", "0.12")
    answer = propose(directory)
    assert answer["status"] == "draft" and answer["changes"] == 1
    summary = simulate(answer["code"])
    assert summary["orders"] == 4 and summary["fidelity"] == {"reproduced": 4, "drifted": 0}
    moved = {item["order_id"] for item in summary["orders_changed"]}
    be_orders = {str(o.public_id): o for o in trade["be"] if o.seller.slug != "gahaya-baskets"}
    assert moved == set(be_orders)
    for item in summary["orders_changed"]:
        stored = be_orders[item["order_id"]].quote
        # Every line of chapter 09 now pays 12% on the same base (the stored base is shown
        # rounded; the engine taxes the unrounded one: at most a cent apart per line).
        lines = [t for line in stored["lines"] for t in line["taxes"]]
        expected = sum(
            (Decimal(t["base"]) * Decimal("0.12")).quantize(Decimal("0.01"), ROUND_HALF_UP)
            for t in lines
        )
        assert abs(Decimal(item["after"]["tax"]) - expected) <= Decimal("0.01") * len(lines)
        assert Decimal(item["after"]["tax"]) > Decimal(item["before"]["tax"])
        assert item["before"]["tax"] == stored["totals"]["display"]["taxes"]
        assert Decimal(item["after"]["total"]) == Decimal(item["before"]["total"]) + Decimal(
            item["after"]["tax"]
        ) - Decimal(item["before"]["tax"])
        # The same request through the quote entry point gives before and after.
        base = quote_compute(item["request"])
        after = quote_compute({**item["request"], "rules": f"proposal:{answer['code']}"})
        assert base["totals"]["display"]["taxes"] == item["before"]["tax"]
        assert after["totals"]["display"]["taxes"] == item["after"]["tax"]
        assert after["totals"]["display"]["landed"] == item["after"]["total"]
    eur = next(c for c in summary["by_currency"] if c["currency"] == "EUR")
    raised = sum(
        Decimal(i["after"]["tax"]) - Decimal(i["before"]["tax"]) for i in summary["orders_changed"]
    )
    assert Decimal(eur["tax"]["after"]) - Decimal(eur["tax"]["before"]) == raised > 0


def test_files_that_change_nothing_write_nothing(tmp_path, trade):
    directory = export(tmp_path)
    with pytest.raises(CommandError):
        propose(directory)
    assert not Proposal.objects.exists()


def test_a_proposal_that_changes_no_order_changes_no_order(tmp_path, trade):
    # An order stored before quotes carried their request is rebuilt from its lines.
    (legacy,) = trade["cn"]
    legacy.quote = {key: value for key, value in legacy.quote.items() if key != "request"}
    legacy.save(update_fields=["quote"])
    directory = export(tmp_path)
    set_tax(directory, "AT", "*", "0.19")  # no order goes to Austria
    summary = simulate(propose(directory)["code"])
    assert summary["orders"] == 4 and summary["changed"] == 0 and summary["orders_changed"] == []
    assert summary["fidelity"] == {"reproduced": 4, "drifted": 0}
    for currency in summary["by_currency"]:
        for part in ("duty", "tax", "fees", "total"):
            assert currency[part]["before"] == currency[part]["after"]


def test_a_threshold_change_moves_orders_across_regimes(tmp_path, trade):
    (cn_order,) = trade["cn"]
    assert cn_order.quote["regime"]["id"] == "cn-cbec-retail"
    directory = export(tmp_path)
    path = directory / "regimes.json"
    regimes = json.loads(path.read_text(encoding="utf-8"))
    for regime in regimes["CN"]:
        if regime["id"] == "cn-cbec-retail":
            regime["conditions"]["value_threshold"]["amount"] = "10"
    path.write_text(json.dumps(regimes, indent=2, ensure_ascii=False), encoding="utf-8")
    code = propose(directory)["code"]
    proposal = Proposal.objects.get(code=code)
    simulation = simulation_create(proposal=proposal, actor=None, filters={})
    done = simulation_run(simulation_id=simulation.pk)

    assert [item["order_id"] for item in simulation_summary(done)["orders_changed"]] == [
        str(cn_order.public_id)
    ]
    assert done.details["regime_crossings"] == [
        {"from": "cn-cbec-retail", "to": "standard", "orders": 1}
    ]
    assert len(done.inputs_hash) == 64 and done.inputs["orders"] == 4
    assert proposal.revisions.get().frozen


def test_a_bad_file_names_row_and_field_and_writes_nothing(tmp_path, trade):
    directory = export(tmp_path)
    path = directory / "taxes.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    assert ",0.20," in text[1]
    text[1] = text[1].replace(",0.20,", ",six,", 1)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(RulesInvalid) as caught:
        proposals.proposal_propose(directory=directory, title="t", effective_on=EFFECTIVE)
    assert "taxes.csv:2:rate" in caught.value.fields
    (directory / "tariffs_extra.csv").write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(RulesInvalid) as caught:
        proposals.proposal_propose(directory=directory, title="t", effective_on=EFFECTIVE)
    assert "tariffs_extra.csv:-:" in caught.value.fields
    assert not Proposal.objects.exists()


def test_rebase_conflict_is_reported_not_overwritten(tmp_path, trade, steward):
    directory = export(tmp_path)
    set_tax(directory, "BE", "09", "0.12")
    code = propose(directory)["code"]
    # Meanwhile the same row changes in a published version.
    other = tmp_path / "other"
    rules_export(other)
    set_tax(other, "BE", "09", "0.09")
    from ewtp.traderules.services.versions import rules_import

    rules_import(other)
    proposal = Proposal.objects.get(code=code)
    found = proposals.proposal_conflicts(proposal)
    assert [(c["table"], c["key"]) for c in found] == [("taxes", "BE vat 09 2025-01-01")]
    with pytest.raises(Conflict):
        proposals.proposal_open_consultation(proposal=proposal, actor=steward)
    assert Proposal.objects.get(code=code).status == "draft"


def test_consultation_comments_and_adoption(tmp_path, trade, steward, monkeypatch):
    directory = export(tmp_path)
    set_tax(directory, "BE", "09", "0.12")
    code = propose(directory)["code"]
    proposal = Proposal.objects.get(code=code)
    proposal = proposals.proposal_open_consultation(proposal=proposal, actor=steward, days=10)
    buyer = make_user("commenter@example.org")
    comment = comments.comment_create(
        proposal=proposal,
        actor=buyer,
        stakeholder="seller",
        language="en",
        interest="I sell coffee to Belgium",
        body="This raises my prices.",
    )
    with pytest.raises(Conflict) as caught:
        proposals.proposal_adopt(proposal=proposal, actor=steward)
    assert caught.value.code == "consultation_open"
    later = clock.today() + timedelta(days=11)
    monkeypatch.setattr(clock, "today", lambda: later)
    with pytest.raises(Conflict) as caught:
        comments.comment_create(
            proposal=proposal,
            actor=buyer,
            stakeholder="seller",
            language="en",
            interest="x",
            body="late",
        )
    assert caught.value.code == "consultation_closed"
    with pytest.raises(Conflict) as caught:
        proposals.proposal_adopt(proposal=proposal, actor=steward)
    assert caught.value.code == "comments_unanswered"
    comments.comment_reply(
        comment=comment,
        actor=steward,
        outcome="not_accepted",
        reason="Aligned with the finance act.",
    )
    before_label = published_version().label
    request = trade["be"][1].quote["request"]
    proposed = quote_compute({**request, "date": "2027-02-01", "rules": f"proposal:{code}"})
    adopted = proposals.proposal_adopt(proposal=proposal, actor=steward)
    assert adopted.adopted_version and adopted.adopted_version != before_label
    assert Comment.objects.filter(proposal=proposal).count() == 1
    # The adopted version quotes exactly as the proposal did from its effective date...
    now = quote_compute({**request, "date": "2027-02-01"})
    assert now["totals"] == proposed["totals"]
    # ...and as before until the day before.
    old = quote_compute({**request, "date": "2026-12-31"})
    assert old["totals"]["display"]["taxes"] == trade["be"][1].quote["totals"]["display"]["taxes"]
    actions = set(
        AuditLog.objects.filter(target_id=str(proposal.public_id)).values_list("action", flat=True)
    )
    assert {
        "forum.proposal.drafted",
        "forum.proposal.consultation_opened",
        "forum.proposal.adopted",
    } <= actions


def test_quote_api_unknown_proposal(client, trade):
    body = {**trade["cn"][0].quote["request"], "rules": "proposal:P-1999-0001"}
    response = client.post("/api/v1/quotes", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 422 and response.json()["code"] == "unknown_proposal"


def test_proposals_api_and_feed(client, tmp_path, trade):
    directory = export(tmp_path)
    set_tax(directory, "BE", "09", "0.12")
    code = propose(directory)["code"]
    simulate(code)
    items = client.get("/api/v1/rules/proposals").json()["items"]
    assert items == [
        {
            "code": code,
            "title": "Coffee and tea VAT into Belgium",
            "kind": "platform_policy",
            "status": "draft",
            "effective_on": "2027-01-01",
            "consultation_closes_on": None,
        }
    ]
    detail = client.get(f"/api/v1/rules/proposals/{code}").json()
    assert detail["changes"][0]["words"].startswith("VAT on ")
    assert "6% -> 12%, from 2027-01-01" in detail["changes"][0]["words"]
    assert detail["simulation"]["summary"]["changed"] == 2
    page = client.get(f"/rules/proposals/{code}/")
    assert page.status_code == 200 and b"<svg" in page.content
    feed = client.get("/rules/proposals/feed.atom")
    assert feed.status_code == 200 and code.encode() in feed.content


def test_sellers_whose_products_change_are_told_and_see_them(
    tmp_path, trade, steward, immediate_tasks, client, django_capture_on_commit_callbacks
):
    from ewtp.catalog.tests.factories import make_member
    from ewtp.core.models import OutboxMessage

    coffee = trade["be"][1].seller
    basket = next(o.seller for o in trade["be"] if o.seller.slug == "gahaya-baskets")
    owner = make_member(coffee, "owner@huye.example")
    owner.language = "fr"
    owner.save(update_fields=["language"])
    make_member(basket, "owner@gahaya.example")
    directory = export(tmp_path)
    set_tax(directory, "BE", "09", "0.12")
    code = propose(directory)["code"]
    proposal = Proposal.objects.get(code=code)
    with django_capture_on_commit_callbacks(execute=True):
        proposals.proposal_open_consultation(proposal=proposal, actor=steward)
    mails = list(OutboxMessage.objects.filter(subject__contains=code))
    assert [m.to for m in mails] == ["owner@huye.example"]
    assert "Roasted coffee beans, 500 g -> BE" in mails[0].body
    client.force_login(owner)
    page = client.get("/rules/proposals/my-products/")
    assert page.status_code == 200 and b"Roasted coffee beans, 500 g" in page.content
    calculator = client.get("/rules/quote/")
    assert f'value="proposal:{code}"'.encode() in calculator.content


def test_a_comment_needs_a_signed_in_user_and_its_fields(tmp_path, trade, steward, client):
    directory = export(tmp_path)
    set_tax(directory, "BE", "09", "0.12")
    code = propose(directory)["code"]
    proposal = proposals.proposal_open_consultation(
        proposal=Proposal.objects.get(code=code), actor=steward
    )
    response = client.post(f"/rules/proposals/{code}/act/", {"action": "comment", "body": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    buyer = make_user("reader@example.org")
    with pytest.raises(Exception) as caught:
        comments.comment_create(
            proposal=proposal,
            actor=buyer,
            stakeholder="buyer",
            language="en",
            interest="",
            body="b",
        )
    assert caught.value.fields == {"interest": "required"}  # type: ignore[attr-defined]
    assert not Comment.objects.exists()


def test_the_simulate_command_prints_the_summary_or_the_error(tmp_path, trade, capsys):
    directory = export(tmp_path)
    set_tax(directory, "BE", "09", "0.12")
    code = propose(directory)["code"]
    call_command("rules", "simulate", code, "--from", "2000-01-01")
    printed = json.loads(capsys.readouterr().out)
    assert list(printed) == [
        "proposal",
        "orders",
        "changed",
        "fidelity",
        "by_currency",
        "orders_changed",
    ]
    assert printed["proposal"] == code and printed["changed"] == len(printed["orders_changed"]) == 2
    with pytest.raises(CommandError) as caught:
        call_command("rules", "simulate", "P-1999-0001")
    assert caught.value.returncode == 2
    assert json.loads(capsys.readouterr().out)["code"] == "unknown_proposal"
    call_command("rules", "simulate", code, "--to", "2000-01-01")
    assert json.loads(capsys.readouterr().out)["orders"] == 0


def test_only_the_changed_file_need_be_given(tmp_path, trade):
    directory = export(tmp_path)
    set_tax(directory, "BE", "09", "0.12")
    only = tmp_path / "only"
    only.mkdir()
    (only / "taxes.csv").write_bytes((directory / "taxes.csv").read_bytes())
    answer = propose(only)
    assert answer["changes"] == 1
    revision = Proposal.objects.get(code=answer["code"]).revisions.get()
    assert revision.changes[0]["before"]["rate"] == "0.06"
    assert revision.changes[0]["after"]["rate"] == "0.12"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RulesInvalid):
        proposals.proposal_propose(directory=empty, title="t", effective_on=EFFECTIVE)


def test_a_frozen_revision_is_kept_and_an_edit_makes_a_new_one(tmp_path, trade, steward):
    directory = export(tmp_path)
    set_tax(directory, "BE", "09", "0.12")
    code = propose(directory)["code"]
    proposal = Proposal.objects.get(code=code)
    first = proposal.revisions.get()
    assert not first.frozen
    set_tax(directory, "BE", "09", "0.10")
    from ewtp.traderules.services.validation import rules_read_directory

    content = rules_read_directory(directory).content()
    again = proposals.proposal_revise(proposal=proposal, actor=steward, content=content)
    assert again.pk == first.pk and again.number == 1  # a draft revision is overwritten
    simulate(code)
    set_tax(directory, "BE", "09", "0.11")
    content = rules_read_directory(directory).content()
    newer = proposals.proposal_revise(proposal=proposal, actor=steward, content=content)
    assert newer.number == 2
    kept = proposal.revisions.get(number=1)
    assert kept.frozen and kept.changes[0]["after"]["rate"] == "0.10"
    assert newer.changes[0]["after"]["rate"] == "0.11"


def test_an_order_the_base_does_not_reproduce_is_listed_with_the_reason(tmp_path, trade):
    order = trade["be"][0]
    quote = dict(order.quote)
    quote["totals"] = {
        **quote["totals"],
        "display": {**quote["totals"]["display"], "taxes": "0.01"},
    }
    order.quote = quote
    order.save(update_fields=["quote"])
    directory = export(tmp_path)
    set_tax(directory, "AT", "*", "0.19")
    proposal = Proposal.objects.get(code=propose(directory)["code"])
    done = simulation_run(
        simulation_id=simulation_create(proposal=proposal, actor=None, filters={}).pk
    )
    assert done.summary["fidelity"] == {"reproduced": 3, "drifted": 1}
    (drift,) = done.details["drifted"]
    assert drift["order_id"] == str(order.public_id)
    assert drift["stored"]["tax"] == "0.01" and "tax moved" in drift["reason"]


def test_the_emergency_path_publishes_first_and_an_advisory_never_binds(tmp_path, trade, steward):
    directory = export(tmp_path)
    set_tax(directory, "BE", "09", "0.12")
    request = {**trade["be"][1].quote["request"], "date": "2027-02-01"}
    before = quote_compute(request)["totals"]["display"]["taxes"]
    advisory = Proposal.objects.get(code=propose(directory, kind="advisory")["code"])
    proposals.proposal_open_consultation(proposal=advisory, actor=steward, emergency=True)
    assert quote_compute(request)["totals"]["display"]["taxes"] == before
    urgent = Proposal.objects.get(code=propose(directory)["code"])
    label = published_version().label
    urgent = proposals.proposal_open_consultation(proposal=urgent, actor=steward, emergency=True)
    assert urgent.status == "consultation" and urgent.adopted_version not in ("", label)
    assert published_version().label == urgent.adopted_version
    assert quote_compute(request)["totals"]["display"]["taxes"] != before
    assert AuditLog.objects.filter(action="forum.proposal.consultation_opened").count() == 2
