"""The simulation's results in a real browser: order values around each low-value threshold,
charted (SVG, no script) with its data table and CSV, when a proposal moves the EU's
EUR 150 threshold to EUR 200."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from ewtp.catalog.tests.factories import ADDRESSES, make_product, make_seller
from ewtp.core import clock
from ewtp.forum.models import Proposal
from ewtp.forum.services.proposals import proposal_propose
from ewtp.orders.services.carts import cart_create, cart_line_add
from ewtp.orders.services.checkout import checkout_place
from ewtp.traderules.services.versions import rules_export
from tests.browser.conftest import screenshot
from tests.browser.test_rules_forum import IMAGES, _act, _login, _user


@pytest.fixture
def near_thresholds(transactional_db, tmp_path: Path):  # type: ignore[no-untyped-def]
    from ewtp.accounts.models import Organisation
    from ewtp.logistics.demo import network_ensure
    from ewtp.traderules.services.reference_data import reference_data_ensure

    reference_data_ensure()
    network_ensure()
    cache.clear()
    huye = make_seller("huye-coffee", name="Huye Mountain Coffee")
    # Gift boxes of about EUR 60 to 95: parcels of one to three lie around EUR 150 and 200.
    boxes = [
        make_product(huye, f"Coffee gift box {n}", price=price, stock=40)
        for n, price in enumerate(("100000", "130000", "155000"), start=1)
    ]
    for box in boxes:
        for quantity in (1, 2, 3):
            cart = cart_create()
            cart_line_add(cart=cart, product_id=str(box.public_id), quantity=quantity)
            checkout_place(
                cart=cart,
                email="anne@example.be",
                destination="BE",
                currency="EUR",
                shipping_address=ADDRESSES["BE"],
            )
    ministry = Organisation.objects.create(
        slug="rules-ministry",
        name="Ministry of Trade",
        kind=Organisation.Kind.RULE_STEWARD,
        country="RW",
        verification=Organisation.Verification.VERIFIED,
    )
    _user(ministry, "steward@ministry.example")
    directory = tmp_path / "rules"
    rules_export(directory)
    path = directory / "regimes.json"
    regimes = json.loads(path.read_text(encoding="utf-8"))
    for regime in regimes["EU"]:
        if regime["id"] == "eu-low-value-2026":
            regime["conditions"]["value_threshold"]["amount"] = "200"
    path.write_text(json.dumps(regimes, indent=2, ensure_ascii=False), encoding="utf-8")
    return proposal_propose(
        directory=directory,
        title="EU low-value threshold to EUR 200",
        effective_on=clock.today(),
    )


def test_the_simulation_charts_order_values_around_each_threshold(
    page: Page, live_server, near_thresholds: Proposal
) -> None:
    _login(page, "steward@ministry.example")
    page.goto(f"/rules/proposals/{near_thresholds.code}/")
    _act(page, "simulate")
    expect(page.locator(".simulation-summary")).to_contain_text("9 orders replayed")
    chart = page.locator('figure[data-chart="thresholds"]')
    expect(chart.locator("svg[role=img]")).to_be_visible()
    expect(chart.locator("table")).to_contain_text("≤ 200 EUR (proposed)")
    expect(chart.locator("table")).to_contain_text("≤ 150 EUR (now and proposed)")
    csv_link = chart.locator('[data-testid="csv-thresholds"]')
    expect(csv_link).to_have_attribute(
        "href", f"/rules/proposals/{near_thresholds.code}/charts/thresholds.csv"
    )
    screenshot(page, "forum-thresholds-page")
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=str(IMAGES / "forum-thresholds.png"))
