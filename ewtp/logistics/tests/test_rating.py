from datetime import date
from decimal import Decimal

import pytest

from ewtp.core.errors import DomainError
from ewtp.core.money import Money
from ewtp.logistics import rating
from ewtp.logistics.demo import network_ensure
from ewtp.logistics.models import Lane, RateCard
from ewtp.logistics.selectors import NoRoute, lane_options, lane_price
from ewtp.web.demo import load_base


def test_volumetric_weight_divides_the_volume_in_cm3_by_6000():
    assert rating.VOLUMETRIC_DIVISOR == 6000
    assert rating.volumetric_weight_kg((40, 30, 20)) == Decimal("4.000")
    assert rating.volumetric_weight_kg((35, 25, 15)) == Decimal("2.188")  # 13125 / 6000


@pytest.mark.parametrize(
    ("weight", "dimensions", "chargeable"),
    [
        ("2.3", (40, 30, 20), "4.0"),  # volume wins: 4.000 kg
        ("5.2", (30, 20, 10), "5.5"),  # actual wins: 5.2 up to the next half kilogram
        ("1", None, "1.0"),
        ("0.4", (10, 10, 10), "0.5"),
        ("2.1", (35, 25, 15), "2.5"),  # volume 2.188 > 2.1, then up to 2.5
        ("3.0", (30, 20, 30), "3.0"),  # volume exactly 3.000
    ],
)
def test_chargeable_weight_is_the_greater_weight_up_to_the_next_half_kg(
    weight, dimensions, chargeable
):
    assert rating.chargeable_weight_kg(weight, dimensions) == Decimal(chargeable)


@pytest.mark.parametrize(
    ("weight", "dimensions"),
    [
        ("0", None),
        ("-1", None),
        ("1001", None),
        ("1", (10, 10)),
        ("1", (0, 10, 10)),
        ("1", (10.5, 10, 10)),
    ],
)
def test_chargeable_weight_refuses_impossible_parcels(weight, dimensions):
    with pytest.raises((ValueError, TypeError)):
        rating.chargeable_weight_kg(weight, dimensions)
    with pytest.raises(TypeError):
        rating.chargeable_weight_kg(1.5)  # a float is never money nor weight here


def test_rate_price_is_per_shipment_plus_per_kg_rounded_once():
    rate = rating.Rate(per_kg=Money.of("4.80", "USD"), per_shipment=Money.of("12.00", "USD"))
    assert rating.rate_price(rate, Decimal("4.0")) == Money.of("31.20", "USD")
    assert rating.rate_price(rate, Decimal("2.5")) == Money.of("24.00", "USD")


@pytest.fixture
def network(db):
    load_base(__import__("io").StringIO())
    network_ensure()


def test_lane_price_takes_the_cheapest_lane_for_the_destination_hub(network):
    # KGL -> LGG: RwandAir 12.00 + 4.80/kg, Ethiopian 15.00 + 4.20/kg; chargeable 4.0 kg.
    assert lane_price("KGL", "BE", "2.3", (40, 30, 20), on=date(2026, 11, 26)) == Money.of(
        "31.20", "USD"
    )
    options = lane_options("KGL", "FR", Decimal("2.3"), (40, 30, 20), on=date(2026, 11, 26))
    assert [(o.lane.carrier.code, o.price.as_string()) for o in options] == [
        ("WB", "31.20"),
        ("ET", "31.80"),
    ]
    # 10 kg: Ethiopian is cheaper (15 + 42 = 57.00 against 12 + 48 = 60.00).
    assert lane_price("KGL", "DE", "10", on=date(2026, 11, 26)) == Money.of("57.00", "USD")
    assert lane_price("KGL", "CN", "1.2", (20, 20, 10), on=date(2026, 11, 26)) == Money.of(
        "23.40", "USD"
    )
    assert lane_price("KGL", "MY", "0.7", on=date(2026, 11, 26)) == Money.of("20.10", "USD")


def test_lane_price_uses_the_rate_card_valid_on_the_day(network):
    lane = Lane.objects.get(origin__code="KGL", destination__code="HGH")
    RateCard.objects.create(
        lane=lane,
        currency="USD",
        per_kg_minor=600,
        per_shipment_minor=1500,
        valid_from=date(2027, 1, 1),
        source="test",
    )
    assert lane_price("KGL", "CN", "2", on=date(2026, 12, 31)) == Money.of("26.20", "USD")
    assert lane_price("KGL", "CN", "2", on=date(2027, 1, 1)) == Money.of("27.00", "USD")
    with pytest.raises(NoRoute):
        lane_price("KGL", "CN", "2", on=date(2025, 12, 31))  # before any rate card


def test_lane_price_without_a_route_is_a_clear_error(network):
    with pytest.raises(NoRoute) as raised:
        lane_price("KGL", "KE", "1")
    assert raised.value.code == "no_route" and raised.value.http_status == 422
    with pytest.raises(DomainError) as bad:
        lane_price("KGL", "BE", "0")
    assert bad.value.fields == {"weight_kg": bad.value.message}


def test_a_changed_rate_card_prices_the_next_consignment(network, django_assert_num_queries):
    day = date(2026, 12, 31)
    assert lane_price("KGL", "CN", "2", on=day) == Money.of("26.20", "USD")
    with django_assert_num_queries(1):  # the network is held: only its stamp is read
        assert lane_price("KGL", "CN", "2", on=day) == Money.of("26.20", "USD")
    card = RateCard.objects.get(lane__origin__code="KGL", lane__destination__code="HGH")
    card.per_kg_minor += 100
    card.save()
    assert lane_price("KGL", "CN", "2", on=day) == Money.of("28.20", "USD")
    # A lane switched off, then a rate card deleted: the next price sees each change.
    lane = Lane.objects.get(origin__code="KGL", destination__code="HGH")
    lane.is_active = False
    lane.save()
    with pytest.raises(NoRoute):
        lane_price("KGL", "CN", "2", on=day)
    lane.is_active = True
    lane.save()
    assert lane_price("KGL", "CN", "2", on=day) == Money.of("28.20", "USD")
    card.delete()
    with pytest.raises(NoRoute):
        lane_price("KGL", "CN", "2", on=day)


def test_a_bulk_update_is_seen_once_the_network_is_said_changed(network):
    from ewtp.logistics.network import network_changed

    day = date(2026, 12, 31)
    assert lane_price("KGL", "CN", "2", on=day) == Money.of("26.20", "USD")
    RateCard.objects.filter(lane__destination__code="HGH").update(per_shipment_minor=0)
    network_changed()
    assert lane_price("KGL", "CN", "2", on=day) == Money.of("11.20", "USD")


def test_consignments_priced_together_read_the_network_stamp_once(
    network, django_assert_num_queries
):
    from ewtp.logistics.selectors import network_checked_once

    day = date(2026, 12, 31)
    assert lane_price("KGL", "CN", "2", on=day) == Money.of("26.20", "USD")
    with django_assert_num_queries(1), network_checked_once():  # a checkout of three sellers
        for _seller in range(3):
            assert lane_price("KGL", "CN", "2", on=day) == Money.of("26.20", "USD")
    card = RateCard.objects.get(lane__origin__code="KGL", lane__destination__code="HGH")
    card.per_kg_minor += 100
    card.save()
    # After the block every price checks the stamp again and sees the change.
    assert lane_price("KGL", "CN", "2", on=day) == Money.of("28.20", "USD")
