"""Demo network: the four hubs, who serves which destination, carriers, the lanes out of
Kigali and their rate cards. ``load`` is idempotent (natural keys: hub code, carrier code,
lane, rate card start date); a second run changes nothing.

The rate cards are illustrative figures for the demo, not a carrier's tariff.
"""

from __future__ import annotations

from datetime import date
from typing import TextIO

from django.db import transaction

from ewtp.accounts.models import Organisation
from ewtp.logistics.models import Carrier, Hub, HubCoverage, Lane, LocalRate, RateCard

EU_MEMBERS = (
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)

HUBS = [
    # code, name, country, address, IANA zone, operator organisation
    (
        "KGL",
        "Kigali Logistics Platform",
        "RW",
        "Kigali International Airport, Cargo Village\nKanombe, Kigali\nRwanda",
        "Africa/Kigali",
        "kigali-hub",
    ),
    (
        "LGG",
        "Liege eHub",
        "BE",
        "Liege Airport, Cargo Zone\n4460 Grace-Hollogne\nBelgium",
        "Europe/Brussels",
        "liege-hub",
    ),
    (
        "HGH",
        "Hangzhou eHub",
        "CN",
        "Hangzhou Xiaoshan International Airport, Cross-border E-commerce Zone\nXiaoshan, Hangzhou, Zhejiang\nChina",
        "Asia/Shanghai",
        "hangzhou-hub",
    ),
    (
        "KUL",
        "Kuala Lumpur eFulfilment Hub",
        "MY",
        "KLIA Aeropolis, Digital Free Trade Zone\n64000 Sepang, Selangor\nMalaysia",
        "Asia/Kuala_Lumpur",
        "kualalumpur-hub",
    ),
]

# Destination country -> receiving hub. The UK and the US are served onward from the
# European gateway at Liege in the demo.
COVERAGE = {
    **dict.fromkeys(EU_MEMBERS, "LGG"),
    "GB": "LGG",
    "US": "LGG",
    "CN": "HGH",
    "MY": "KUL",
    "RW": "KGL",
}

CARRIERS = [
    # IATA designator, name, air waybill prefix
    ("WB", "RwandAir Cargo", "459"),
    ("ET", "Ethiopian Cargo", "071"),
    ("QR", "Qatar Airways Cargo", "157"),
]

DEMO_SOURCE = "eWTP demo rate card (illustrative figures, not a carrier tariff)"
LANES = [
    # origin, destination, carrier, transit days, (currency, per kg minor, per shipment minor)
    ("KGL", "LGG", "WB", 3, ("USD", 480, 1200)),
    ("KGL", "LGG", "ET", 4, ("USD", 420, 1500)),
    ("KGL", "HGH", "ET", 5, ("USD", 560, 1500)),
    ("KGL", "KUL", "QR", 5, ("USD", 610, 1400)),
]
RATES_FROM = date(2026, 1, 1)
LOCAL_RATES = [
    # hub, courier, transit days, (currency, per kg minor, per shipment minor)
    ("KGL", "Kigali Logistics Platform courier", 2, ("RWF", 500, 2500)),
]


@transaction.atomic
def network_ensure() -> dict[str, int]:
    """Hubs, coverage, carriers, lanes and rate cards of the demo (idempotent)."""
    created = {"hubs": 0, "lanes": 0, "rate_cards": 0}
    hubs: dict[str, Hub] = {}
    for code, name, country, address, zone, operator_slug in HUBS:
        operator = Organisation.objects.filter(slug=operator_slug).first()
        if operator is None:
            operator, _ = Organisation.objects.get_or_create(
                slug=operator_slug,
                defaults={"name": name, "kind": Organisation.Kind.HUB_OPERATOR, "country": country},
            )
        hub, was_created = Hub.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "country": country,
                "address": address,
                "time_zone": zone,
                "operator": operator,
            },
        )
        hubs[code] = hub
        created["hubs"] += was_created
    for country, code in COVERAGE.items():
        HubCoverage.objects.get_or_create(country=country, defaults={"hub": hubs[code]})
    carriers = {}
    for code, name, prefix in CARRIERS:
        carriers[code], _ = Carrier.objects.get_or_create(
            code=code, defaults={"name": name, "awb_prefix": prefix}
        )
    for origin, destination, carrier, days, (currency, per_kg, per_shipment) in LANES:
        lane, was_created = Lane.objects.get_or_create(
            origin=hubs[origin],
            destination=hubs[destination],
            carrier=carriers[carrier],
            defaults={"transit_days": days},
        )
        created["lanes"] += was_created
        _card, was_created = RateCard.objects.get_or_create(
            lane=lane,
            valid_from=RATES_FROM,
            defaults={
                "currency": currency,
                "per_kg_minor": per_kg,
                "per_shipment_minor": per_shipment,
                "source": DEMO_SOURCE,
            },
        )
        created["rate_cards"] += was_created
    for code, courier, days, (currency, per_kg, per_shipment) in LOCAL_RATES:
        _local, was_created = LocalRate.objects.get_or_create(
            hub=hubs[code],
            valid_from=RATES_FROM,
            defaults={
                "courier": courier,
                "transit_days": days,
                "currency": currency,
                "per_kg_minor": per_kg,
                "per_shipment_minor": per_shipment,
                "source": DEMO_SOURCE,
            },
        )
        created["rate_cards"] += was_created
    return created


def load(stdout: TextIO) -> None:
    created = network_ensure()
    stdout.write(
        "logistics: {hubs} hubs, {lanes} lanes, {rate_cards} rate cards created\n".format(**created)
    )
