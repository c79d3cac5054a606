"""The platform operator's overview: exact figures, each linking to its page, in few queries."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from ewtp.accounts.models import Organisation
from ewtp.ledger.models import Account
from ewtp.logistics.tests.factories import paid_order, world
from ewtp.orders.models import Order


def _figure(html: str, key: str) -> str:
    found = re.search(rf'data-figure="{key}"><a href="([^"]*)">(.*?)</a>', html, re.S)
    assert found, key
    return (
        found.group(1)
        + " | "
        + re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(2))).strip()
    )


@pytest.mark.django_db
def test_the_overview_counts_and_links_every_figure(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    setting = world()
    first = paid_order([(setting.coffee, 1)], destination="BE", currency="EUR")
    paid_order([(setting.coffee, 2)], destination="BE", currency="EUR")
    Order.objects.filter(pk=first.pk).update(status=Order.Status.DISPUTED)
    Organisation.objects.create(slug="new-weavers", name="New Weavers", kind="seller", country="RW")
    client.force_login(setting.operator)
    client.get("/operator/")  # warm the session and the caches
    with django_assert_max_num_queries(14):
        page = client.get("/operator/")
    assert page.status_code == 200
    html = page.content.decode()
    total = sum(order.total_minor for order in Order.objects.all()) / 100
    assert _figure(html, "orders_today") == f"/orders/operator/ | Orders today 2 €{total:,.2f}"
    assert _figure(html, "orders_month") == (
        f"/orders/operator/ | Orders this month 2 €{total:,.2f}"
    )
    assert _figure(html, "disputes") == "/orders/operator/?status=disputed | Open disputes 1"
    assert _figure(html, "organisations").startswith(
        "/accounts/operator/organisations/ | Organisations to verify "
    )
    to_verify = Organisation.objects.filter(verification="submitted").count()
    assert _figure(html, "organisations").endswith(f"verify {to_verify}")
    held = sum(account.held for account in Account.objects.filter(purpose="escrow"))
    shown = f"€{held / 100:,.2f}" if held else "0"
    assert _figure(html, "escrow") == (
        f"/ledger/?purpose=escrow | Escrow held {shown} buyers&#x27; money held until delivery"
    )
    assert _figure(html, "declarations").startswith("/customs/ | Declarations waiting ")
    assert _figure(html, "payouts").startswith("/pay/operator/ | Payouts due")
    assert _figure(html, "stale_rates").startswith("/rules/fx/ | Stale exchange rates ")


@pytest.mark.django_db
def test_the_overview_is_for_the_operator_only(client: Client) -> None:
    setting = world()
    assert client.get("/operator/").status_code == 302
    client.force_login(setting.seller)
    assert client.get("/operator/").status_code == 403
