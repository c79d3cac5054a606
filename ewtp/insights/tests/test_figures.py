"""Exact figures of every aggregate on a small built dataset, the scopes' permissions, the
CSV files and the query counts of the pages. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ewtp.accounts.models import Organisation
from ewtp.catalog.tests.factories import make_member, make_operator, make_product, make_seller
from ewtp.customs.models import Declaration, Jurisdiction
from ewtp.insights import selectors
from ewtp.insights.selectors import Scope
from ewtp.insights.views import csv_cell
from ewtp.logistics.models import Hub, Parcel
from ewtp.orders.models import Cart, Checkout, Order, OrderLine

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def _authority(slug: str, name: str, country: str, kind: str = "import") -> Organisation:
    org = Organisation.objects.create(
        slug=slug,
        name=name,
        kind=Organisation.Kind.CUSTOMS_AUTHORITY,
        country=country,
        verification=Organisation.Verification.VERIFIED,
    )
    Jurisdiction.objects.create(
        authority=org, country=country, kind=kind, office_code=f"{country}0001", office_name=name
    )
    return org


def _order(
    product: Any,
    *,
    destination: str,
    currency: str,
    goods: int,
    duty: int = 0,
    taxes: int = 0,
    quantity: int = 1,
    status: str = Order.Status.COMPLETED,
    when: datetime = T0,
    regime: str = "standard",
    programme: str | None = None,
    notes: list[dict[str, str]] | None = None,
) -> Order:
    cart = Cart.objects.create(created_at=when, updated_at=when, checked_out_at=when)
    checkout = Checkout.objects.create(
        cart=cart,
        email="b@example.com",
        destination=destination,
        currency=currency,
        total_minor=goods + duty + taxes,
        hold_expires_at=when,
        created_at=when,
    )
    variant = product.variants.first()
    order = Order.objects.create(
        checkout=checkout,
        seller=product.seller,
        status=status,
        hub_code="KGL",
        destination=destination,
        currency=currency,
        total_minor=goods + duty + taxes,
        goods_minor=goods,
        duty_minor=duty,
        taxes_minor=taxes,
        fees_minor=0,
        seller_currency="RWF",
        seller_goods_minor=variant.price_minor * quantity,
        quote={
            "regime": {"id": regime},
            "territory": destination,
            "lines": [{"duty": {"programme": programme}}],
            "notes": notes or [],
        },
        hold_expires_at=when,
        created_at=when,
        updated_at=when,
    )
    OrderLine.objects.create(
        order=order,
        variant=variant,
        product_title=product.title,
        sku=variant.sku,
        hs_code=product.hs_code,
        origin="RW",
        unit_weight_kg=variant.weight_kg,
        quantity=quantity,
        unit_price_minor=variant.price_minor,
        currency="RWF",
        quote_line_id="a",
    )
    return order


def _parcel(order: Order, code: str, status: str) -> Parcel:
    kgl = Hub.objects.get(code="KGL")
    return Parcel.objects.create(
        code=code,
        order=order,
        seller=order.seller,
        origin_hub=kgl,
        destination_hub=kgl,
        destination_country=order.destination,
        status=status,
        weight_kg="0.5",
        length_cm=10,
        width_cm=10,
        height_cm=10,
        created_at=order.created_at,
        updated_at=order.created_at,
    )


def _declaration(
    parcel: Parcel, authority: Organisation, hours: float, kind: str = "import"
) -> None:
    submitted = parcel.created_at
    Declaration.objects.create(
        reference=parcel.code.replace("-", "") + kind[:2].upper(),
        parcel=parcel,
        order=parcel.order,
        kind=kind,
        dataset=Declaration.Dataset.WCO,
        authority=authority,
        country=parcel.order.destination,
        status=Declaration.Status.RELEASED,
        data={},
        value_minor=parcel.order.goods_minor,
        currency=parcel.order.currency,
        submitted_at=submitted,
        released_at=submitted + timedelta(hours=hours),
    )


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    from ewtp.logistics.demo import network_ensure

    network_ensure()
    be = _authority("be-customs", "Belgian Customs", "BE")
    cn = _authority("cn-customs", "Hangzhou Customs", "CN")
    coffee = make_product(make_seller("huye-coffee", name="Huye Coffee"), price="12000")
    tea = make_product(
        make_seller("nyungwe-tea", name="Nyungwe Tea"),
        "Black tea",
        hs_code="0902.40",
        price="5000",
    )
    baskets = make_product(
        make_seller("gahaya", name="Gahaya Baskets"), "Basket", hs_code="4602.19", price="25000"
    )
    orders = []
    # Coffee: 5 orders to Belgium (two in April), one under a preference.
    for i in range(5):
        orders.append(
            _order(
                coffee,
                destination="BE",
                currency="EUR",
                goods=1000,
                duty=100,
                taxes=210,
                when=T0 + timedelta(days=30 * (i // 3)),
                programme="eu-eba" if i == 0 else None,
                regime="eu-ioss-2021" if i else "standard",
            )
        )
    # Tea: 2 orders to China (quantity 2 each), one returned.
    orders.append(_order(tea, destination="CN", currency="CNY", goods=5000, taxes=455, quantity=2))
    orders.append(
        _order(
            tea,
            destination="CN",
            currency="CNY",
            goods=5000,
            taxes=455,
            quantity=2,
            status=Order.Status.RETURNED,
        )
    )
    # Baskets: one domestic order (not an export) and one cancelled (not sold).
    _order(baskets, destination="RW", currency="RWF", goods=25000)
    _order(baskets, destination="BE", currency="EUR", goods=2000, status=Order.Status.CANCELLED)
    parcels = [
        _parcel(order, f"KGL-TEST000{i}-X", Parcel.Status.DELIVERED)
        for i, order in enumerate(orders)
    ]
    parcels[-1].status = Parcel.Status.RETURNED
    parcels[-1].save()
    for hours, parcel in zip([1, 2, 3, 4, 10], parcels[:5], strict=True):
        _declaration(parcel, be, hours)
    _declaration(parcels[5], cn, 6)
    _declaration(parcels[6], cn, 30)
    return {"be": be, "cn": cn, "coffee": coffee, "tea": tea}


def _rows(scope: Scope, slug: str) -> list[list[Any]]:
    figure = selectors.figure_for(scope, slug)
    assert figure is not None
    return figure.rows


def test_exports_by_destination_month_chapter_and_seller(world):  # type: ignore[no-untyped-def]
    operator = Scope("operator")
    assert _rows(operator, "exports-by-destination") == [["BE", 5, 60000], ["CN", 2, 20000]]
    assert _rows(operator, "exports-by-month") == [["2026-03", 5, 56000], ["2026-04", 2, 24000]]
    assert _rows(operator, "exports-by-product") == [["09", 7, 80000]]
    assert _rows(operator, "exports-by-seller") == [
        ["Huye Coffee", 5, 60000],
        ["Nyungwe Tea", 2, 20000],
    ]
    assert _rows(operator, "exports-by-destination-month") == [
        ["2026-03", "BE", 3, 36000],
        ["2026-03", "CN", 2, 20000],
        ["2026-04", "BE", 2, 24000],
    ]


def test_public_folds_sellers_below_the_threshold(world, settings):  # type: ignore[no-untyped-def]
    assert _rows(Scope("public"), "exports-by-seller") == [
        ["Huye Coffee", 5, 60000],
        ["Other sellers", 2, 20000],
    ]


def test_regimes_preferences_and_duty_per_authority(world):  # type: ignore[no-untyped-def]
    operator = Scope("operator")
    assert _rows(operator, "regimes") == [["eu-ioss-2021", 4], ["standard", 3]]
    assert _rows(operator, "preferences") == [["eu-eba", "EUR", 1, "1.00", "0.00"]]
    assert _rows(operator, "duty-by-authority") == [
        ["Belgian Customs", "EUR", 5, 500, 1050, 0],
        ["Hangzhou Customs", "CNY", 2, 0, 910, 0],
    ]
    assert selectors.figure_for(operator, "preferences").extra == {"available": 0}  # type: ignore[union-attr]
    cache.clear()
    note = {"code": "preference_available", "message": "..."}
    _order(world["tea"], destination="CN", currency="CNY", goods=10, notes=[{"code": "x"}, note])
    _order(world["tea"], destination="RW", currency="RWF", goods=10, notes=[note])  # not an export
    assert selectors.figure_for(operator, "preferences").extra == {"available": 1}  # type: ignore[union-attr]


def test_release_times_and_parcels(world):  # type: ignore[no-untyped-def]
    operator = Scope("operator")
    # Belgium: 1, 2, 3, 4, 10 h -> median the 3rd (3 h), p90 the 5th (10 h).
    assert _rows(operator, "time-to-release") == [
        ["Belgian Customs", "import", 5, 3.0, 10.0],
        ["Hangzhou Customs", "import", 2, 30.0, 30.0],
    ]
    assert _rows(operator, "parcels-by-state") == [["Delivered", 6], ["Returned to sender", 1]]


def test_an_authority_sees_only_its_own_countries(world):  # type: ignore[no-untyped-def]
    cn = selectors.authority_scope(world["cn"])
    assert _rows(cn, "exports-by-destination") == [["CN", 2, 20000]]
    assert _rows(cn, "time-to-release") == [["Hangzhou Customs", "import", 2, 30.0, 30.0]]
    assert _rows(cn, "parcels-by-state") == [["Delivered", 1], ["Returned to sender", 1]]
    assert selectors.figure_for(cn, "exports-by-seller") is None


def test_tourism_and_learning_figures_on_an_empty_platform(world):  # type: ignore[no-untyped-def]
    operator = Scope("operator")
    assert _rows(operator, "tourism") == []
    assert _rows(operator, "learning") == [[0, 0, 0, 0]]


def test_pages_permissions_and_query_counts(world):  # type: ignore[no-untyped-def]
    client = Client()
    assert client.get("/insights/operator/").status_code == 302  # to the log-in
    officer = make_member(world["cn"], "officer@cn.test", "staff")
    client.force_login(officer)
    assert client.get("/insights/operator/").status_code == 403
    assert client.get("/insights/operator/exports-by-seller.csv").status_code == 403
    page = client.get("/insights/authority/?authority=be-customs")  # not theirs: their own
    assert page.status_code == 200
    assert "Hangzhou Customs" in page.content.decode()
    assert "Belgian Customs</td>" not in page.content.decode()
    body = client.get("/insights/authority/exports-by-destination.csv").content.decode()
    assert list(csv.reader(io.StringIO(body))) == [
        ["Destination", "Orders", "Goods value (RWF)"],
        ["CN", "2", "20000"],
    ]
    client.force_login(make_operator())
    with CaptureQueriesContext(connection) as cold:
        assert client.get("/insights/operator/").status_code == 200
    with CaptureQueriesContext(connection) as warm:
        page = client.get("/insights/operator/")
    assert page.status_code == 200
    assert (
        "<svg" in page.content.decode()
        and "<script" not in page.content.decode().split("<main")[-1]
    )
    # Warm: the session, the user, the operator check, the menu and one data stamp.
    assert len(warm) == 7, [q["sql"] for q in warm.captured_queries]
    assert len(cold) > len(warm)


def test_public_page_and_csv(world):  # type: ignore[no-untyped-def]
    client = Client()
    page = client.get("/insights/")
    assert page.status_code == 200
    assert "Nyungwe Tea" not in page.content.decode()  # below the threshold
    body = client.get("/insights/public/exports-by-seller.csv").content.decode()
    assert list(csv.reader(io.StringIO(body))) == [
        ["Seller", "Orders", "Goods value (RWF)"],
        ["Huye Coffee", "5", "60000"],
        ["Other sellers", "2", "20000"],
    ]
    assert client.get("/insights/public/no-such-figure.csv").status_code == 404
    assert client.get("/insights/secret/exports-by-seller.csv").status_code == 404


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised():
    assert [csv_cell(v) for v in ["=SUM(A1)", "+1", "-2", "@x", "plain", -5, 7]] == [
        "'=SUM(A1)",
        "'+1",
        "'-2",
        "'@x",
        "plain",
        -5,
        7,
    ]


def test_figures_are_cached_until_the_data_change(world, settings):  # type: ignore[no-untyped-def]
    operator = Scope("operator")
    assert _rows(operator, "exports-by-destination")[0] == ["BE", 5, 60000]
    with CaptureQueriesContext(connection) as queries:
        selectors.figures_for(operator)
    assert len(queries) == 2  # the data stamp only
    _order(world["coffee"], destination="BE", currency="EUR", goods=1000)
    # Within the lag allowed, the figures stay as they were; past it, a change shows.
    assert _rows(operator, "exports-by-destination")[0] == ["BE", 5, 60000]
    settings.EWTP_INSIGHTS_CACHE_SECONDS = 0
    assert _rows(operator, "exports-by-destination")[0] == ["BE", 6, 72000]


def test_charts_carry_no_inline_style_and_their_sheet_is_served(world):  # type: ignore[no-untyped-def]
    # The pages' Content-Security-Policy allows style sheets from the site only: an inline
    # <style> in a chart would be refused by the browser and the chart drawn without colours.
    client = Client()
    page = client.get("/insights/")
    html = page.content.decode()
    assert "<svg" in html
    assert "<style" not in html
    assert "style-src 'self'" in page["Content-Security-Policy"]
    assert '<link rel="stylesheet" href="/charts.css">' in html
    sheet = client.get("/charts.css")
    assert (sheet.status_code, sheet["Content-Type"]) == (200, "text/css; charset=utf-8")
    css = sheet.content.decode()
    assert css.startswith("svg.pygal-chart{")
    assert "#chart-" not in css
