"""The buyer's and the seller's journeys: never a duties-paid sale on an unknown duty, never a
sale on a stale rate, the payment followed by the pages, My orders, the seller's Orders."""

from __future__ import annotations

import re

import pytest

from ewtp.catalog.tests.factories import make_member, make_product, make_seller
from ewtp.orders.models import Checkout, Order
from ewtp.orders.tests.test_views import fill_cart, form

pytestmark = pytest.mark.django_db

US = {
    "email": "sam@example.com",
    "destination": "US",
    "currency": "USD",
    "name": "Sam Rivera",
    "line1": "350 Fifth Avenue",
    "city": "New York",
    "region": "NY",
    "postal_code": "10118",
}


@pytest.fixture
def shirt(reference_data):  # type: ignore[no-untyped-def]
    seller = make_seller("kigali-threads", name="Kigali Threads")
    make_member(seller, "owner@threads.rw", "owner")
    return make_product(
        seller,
        "African print cotton shirt, men's",
        hs_code="6205.20",
        price="25000",
        weight="0.3",
        stock=10,
    )


def _checkout(client, product, **values):  # type: ignore[no-untyped-def]
    client.cookies["ewtp_destination"] = values.get("destination", "US")
    client.cookies["ewtp_currency"] = values.get("currency", "USD")
    fill_cart(client, product)
    return client.post("/orders/checkout/", form(**{**US, **values}))


def test_the_us_shirt_is_sold_dap_with_the_unknown_duty_stated(
    client, shirt, settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.EWTP_INCOMPLETE_QUOTE = "dap"
    client.cookies["ewtp_destination"] = "US"
    client.cookies["ewtp_currency"] = "USD"
    fill_cart(client, shirt)
    cart = client.get("/orders/cart/").text
    assert 'data-testid="estimate-reason"' in cart and "6205.20" in cart
    assert "delivered at place (DAP)" in cart and 'data-testid="duty-unknown"' in cart
    assert 'data-testid="line-total"' in cart

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/orders/checkout/", form(**US))  # the buyer asked for DDP
    assert response.status_code == 302
    checkout = Checkout.objects.get()
    order = checkout.orders.get()
    assert (checkout.incoterm, order.incoterm, order.is_quote_complete) == ("DAP", "DAP", False)
    assert order.duty_minor == 0 and order.quote["incoterm"] == "DAP"
    # Paid now: goods and carriage only; nothing of the unknown duty is presented as paid.
    assert order.total_minor == order.goods_minor + order.shipping_minor
    done = client.get(response["Location"]).text
    assert "United States" in done and "HS 6205.20" in done
    assert "plus the duty not yet known" in done and "Thank you" not in done
    page = client.get(f"/orders/o/{order.public_id}/?token={checkout.access_token}").text
    assert 'data-testid="estimate-reason"' in page and "(DAP)" in page
    placed = next(m for m in mailoutbox if m.to == ["sam@example.com"])
    assert "plus the duty not yet known" in placed.body and "6205.20" in placed.body


def test_the_us_shirt_is_refused_under_refuse_and_nothing_is_written(client, shirt, settings):
    settings.EWTP_INCOMPLETE_QUOTE = "refuse"
    response = _checkout(client, shirt)
    assert response.status_code == 422
    assert "cannot be sold to United States" in response.text
    assert "6205.20" in response.text
    assert not Checkout.objects.exists() and not Order.objects.exists()
    cart = client.get("/orders/cart/").text
    assert "cannot be sold to" in cart and 'data-testid="go-checkout"' in cart


def test_the_same_cart_in_french_states_the_reason_in_french(client, shirt, settings):
    settings.EWTP_INCOMPLETE_QUOTE = "refuse"
    client.cookies["ewtp_language"] = "fr"
    client.cookies["ewtp_destination"] = "US"
    client.cookies["ewtp_currency"] = "USD"
    fill_cart(client, shirt)
    cart = client.get("/orders/cart/")
    assert cart.headers["Content-Language"] == "fr"
    assert "États-Unis" in cart.text and "6205.20" in cart.text


def test_a_complete_quote_stays_ddp(client, reference_data):
    coffee = make_product(make_seller("huye-coffee"), stock=5)
    response = _checkout(client, coffee, **{"destination": "BE", "currency": "EUR"}, **BE)
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.incoterm, order.is_quote_complete) == ("DDP", True)


BE = {"name": "Anne Peeters", "line1": "Rue Neuve 12", "city": "Bruxelles", "postal_code": "1000"}


def test_a_price_on_a_stale_rate_is_not_sold_and_the_operator_sees_it(client, shirt, settings):
    from ewtp.catalog.tests.factories import make_operator

    settings.EWTP_FX_MAX_AGE_DAYS = 7
    response = _checkout(client, shirt)
    assert response.status_code == 422
    assert "cannot be sold today" in response.text and "RWF to USD" in response.text
    assert not Order.objects.exists()
    client.force_login(make_operator())
    page = client.get("/rules/fx/enter/").text
    assert 'data-testid="stale-rates"' in page and "RWF" in page


def test_the_payment_pages_follow_the_payment(
    client, shirt, django_capture_on_commit_callbacks, mailoutbox
):
    response = _checkout(client, shirt)
    checkout = Checkout.objects.get()
    done = client.get(response["Location"]).text
    assert 'hx-trigger="every 3s"' in done and 'data-testid="refresh"' in done
    assert "Thank you" not in done and 'data-testid="pay-now"' in done
    approve = re.search(r'href="(/pay/sandbox/[^"]+)"', done)
    assert approve is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(approve.group(1), {"decision": "approve"}).status_code == 302
    checkout.refresh_from_db()
    assert checkout.payment_status == "paid"
    part = client.get(response["Location"] + "&part=payment")
    assert part.text.lstrip().startswith('<div id="payment-state"')
    assert "Thank you" in part.text and "hx-trigger" not in part.text
    assert 'data-testid="pay-now"' not in part.text
    order = checkout.orders.get()
    page = client.get(f"/orders/o/{order.public_id}/?token={checkout.access_token}").text
    assert 'data-testid="thank-you"' in page and 'data-testid="pay-now"' not in page
    history = page[page.index('data-testid="order-history"') :]
    assert "sam@example.com" not in history and "Buyer" in history
    assert "Payment received" in history
    seller_mail = [m for m in mailoutbox if m.to == ["owner@threads.rw"]]
    assert len(seller_mail) == 1 and order.reference in seller_mail[0].subject


def test_my_orders_lists_only_the_buyers_own_orders(client, shirt):
    from ewtp.catalog.tests.factories import make_user

    buyer = make_user("sam@example.com")
    other = make_user("eve@example.com")
    client.force_login(buyer)
    _checkout(client, shirt)
    mine = client.get("/orders/mine/").text
    order = Order.objects.get()
    assert mine.count('data-testid="my-order"') == 1 and order.reference in mine
    client.force_login(other)
    theirs = client.get("/orders/mine/").text
    assert 'data-testid="empty"' in theirs and order.reference not in theirs
    client.logout()
    assert client.get("/orders/mine/").status_code == 302


def test_the_seller_accepts_from_the_one_orders_page(client, shirt):
    _checkout(client, shirt)
    checkout = Checkout.objects.get()
    from ewtp.orders.services.handover import checkout_mark_paid

    checkout_mark_paid(checkout=checkout, payment_reference="test-payment")
    order = checkout.orders.get()
    client.force_login(make_member(shirt.seller, "owner@threads.rw"))
    page = client.get("/orders/seller/kigali-threads/").text
    assert 'data-testid="sales-overview"' in page and f"fulfil-{order.reference}" in page
    assert re.search(r'data-testid="to-ship">\s*1<', page)
    response = client.post(
        f"/orders/o/{order.public_id}/action/",
        {"action": "accept", "next": "/orders/seller/kigali-threads/"},
    )
    assert response.status_code == 302 and response["Location"] == "/orders/seller/kigali-threads/"
    order.refresh_from_db()
    assert order.status == "accepted"
    page = client.get("/orders/seller/kigali-threads/").text
    assert f"pack-{order.reference}" in page and f"fulfil-{order.reference}" not in page


def test_an_unverified_seller_is_told_it_is_hidden(client, reference_data):
    seller = make_seller("new-label", verified=False)
    client.force_login(make_member(seller, "owner@new.rw"))
    page = client.get("/shop/sell/new-label/").text
    assert 'data-testid="unverified"' in page and "Hidden until verified" in page
    assert 'href="/shop/s/new-label/"' not in page


def test_fresh_rates_fetched_and_entered_sell_again(client, shirt, settings, tmp_path):
    from ewtp.catalog.tests.factories import make_operator
    from ewtp.core import clock
    from ewtp.traderules.services.fx import fx_rate_enter
    from ewtp.traderules.services.fx_fetch import fx_fetch
    from ewtp.traderules.tests.test_fx_fetch import ecb_xml

    settings.EWTP_FX_MAX_AGE_DAYS = 7
    path = tmp_path / "eurofxref-daily.xml"
    path.write_text(ecb_xml(clock.today()), encoding="utf-8")
    fx_fetch(path.as_uri())
    operator = make_operator()
    fx_rate_enter(operator, clock.today(), "RWF", "1690.50", "BNR reference rate of the day")
    response = _checkout(client, shirt)
    assert response.status_code == 302
    order = Order.objects.get()
    assert {entry["date"] for entry in order.fx_rates} == {clock.today().isoformat()}
    client.force_login(operator)
    stale = client.get("/rules/fx/enter/").text
    # Only the currencies still without a fresh rate are named (the XML had no MYR).
    assert "<li>KES: newest rate of" in stale and "<li>MYR: newest rate of" in stale
    assert "<li>RWF" not in stale and "<li>USD" not in stale


def test_a_5000_character_search_is_shortened_and_said(client, reference_data):
    make_product(make_seller("huye-coffee"), "Huye coffee", stock=3)
    response = client.get("/shop/search/?q=" + "coffee " * 715)
    assert response.status_code == 200
    assert (
        'data-testid="query-cut"' in response.text and "limited to 200 characters" in response.text
    )
    assert 'data-testid="query-cut"' not in client.get("/shop/search/?q=coffee").text


def test_logging_in_keeps_the_language_the_visitor_chose(client, db):
    from ewtp.catalog.tests.factories import make_user

    user = make_user("marie@example.fr")
    user.language = "fr"
    user.save(update_fields=["language"])
    client.cookies["ewtp_language"] = "sw"
    response = client.post(
        "/accounts/login/", {"username": "marie@example.fr", "password": "a-long-password-1"}
    )
    assert response.status_code == 302
    assert response.cookies["ewtp_language"].value == "sw"
    page = client.get(response["Location"])
    assert page.headers["Content-Language"] == "sw"
    # Offered, not imposed: the message in Swahili names the profile's language.
    assert 'class="info">' in page.text and "Lugha ya wasifu wako ni français" in page.text
    # With no choice on the device, the profile's language follows the person.
    client.logout()
    assert "ewtp_language" not in client.cookies  # logging out forgets the device
    response = client.post(
        "/accounts/login/", {"username": "marie@example.fr", "password": "a-long-password-1"}
    )
    assert response.cookies["ewtp_language"].value == "fr"


@pytest.mark.parametrize(
    ("policy", "words"),
    [("dap", "duty not known: due on delivery"), ("refuse", "not sold to this country")],
)
def test_the_listing_card_says_what_an_unknown_duty_means(client, shirt, settings, policy, words):
    settings.EWTP_INCOMPLETE_QUOTE = policy
    client.cookies["ewtp_destination"] = "US"
    client.cookies["ewtp_currency"] = "USD"
    page = client.get("/shop/").text
    card = page[page.index('data-testid="product-card"') :]
    assert words in card and "+ delivery from $" in card
    assert "duties and taxes paid" not in page


def test_the_product_form_shows_every_error_at_once(client, reference_data):
    seller = make_seller("kigali-threads")
    client.force_login(make_member(seller, "owner@threads.rw"))
    client.cookies["ewtp_language"] = "en"
    response = client.post(
        "/shop/sell/kigali-threads/new/",
        {
            "title": "Shirt",
            "hs_code": "9999.99",  # no such subheading: the product rules' error
            "origin": "RW",
            "unit_weight_kg": "",  # the form's own error
            "price": "-5",  # the product rules' error
            "currency": "RWF",
            "language": "en",
        },
    )
    page = response.text
    import re as regex

    failing = regex.findall(r'<p class="field has-error">\s*<label for="id_(\w+)"', page)
    assert set(failing) == {"hs_code", "unit_weight_kg", "price"}
