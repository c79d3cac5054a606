"""The seller's dashboard counts the products open rule proposals would change and links the
page of their prices before and after."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from ewtp.catalog.tests.factories import make_member
from ewtp.forum.models import Proposal
from ewtp.forum.tests.test_proposals import export, propose, set_tax

pytestmark = pytest.mark.django_db


def test_the_seller_dashboard_counts_and_links_the_products_a_proposal_changes(
    tmp_path, three_sellers, client
):
    cache.clear()
    coffee, _tea, basket = three_sellers
    owner_user = make_member(coffee.seller, "owner@huye.example")
    client.force_login(owner_user)
    url = reverse("catalog:dashboard", args=[coffee.seller.slug])
    assert 'data-testid="seller-proposals"' not in client.get(url).content.decode()

    directory = export(tmp_path)
    set_tax(directory, "BE", "09", "0.12")  # coffee into Belgium; baskets are chapter 46
    code = propose(directory)["code"]
    page = client.get(url).content.decode()
    assert 'data-testid="seller-proposals"' in page
    assert "Open rule proposals would change the landed price of 1 of your products." in page
    assert reverse("forum:mine") in page
    mine = client.get(reverse("forum:mine")).content.decode()
    assert code in mine and coffee.title in mine and "BE" in mine

    # The basket seller's products are untouched: no section on that dashboard.
    client.force_login(make_member(basket.seller, "owner@gahaya.example"))
    other = client.get(reverse("catalog:dashboard", args=[basket.seller.slug]))
    assert 'data-testid="seller-proposals"' not in other.content.decode()

    # Once the proposal is withdrawn nothing is counted.
    withdrawn = Proposal.objects.get(code=code)
    withdrawn.status = Proposal.Status.WITHDRAWN
    withdrawn.save(update_fields=["status"])
    client.force_login(owner_user)
    assert 'data-testid="seller-proposals"' not in client.get(url).content.decode()
