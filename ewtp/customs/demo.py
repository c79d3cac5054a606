"""Demo customs set-up: which authority handles which country, the customs numbers of the
platform (declarant, IOSS) and of the demo sellers, and the shipped SDR rates and restricted
goods. ``load`` is idempotent.

The office codes and customs numbers are demo values in the right formats, not real ones.
"""

from __future__ import annotations

from typing import TextIO

from django.db import transaction

from ewtp.accounts.models import Organisation
from ewtp.core import clock
from ewtp.customs.models import Jurisdiction, TraderProfile
from ewtp.customs.services import reference_data_ensure
from ewtp.logistics.demo import EU_MEMBERS

JURISDICTIONS = [
    # authority, countries, kind, office code, office name
    ("rra-customs", ["RW"], "export", "RWKGLA", "Kigali International Airport customs office"),
    ("be-customs", EU_MEMBERS, "import", "BE212000", "Liege Airport customs office"),
    ("cn-customs", ["CN"], "import", "CN2921", "Hangzhou Xiaoshan Airport customs office"),
]

PROFILES = {
    # organisation: (address, city, TIN, EORI, IOSS, China code, US importer number)
    "ewtp-rwanda": (
        "KG 7 Ave, Kigali Heights\nKigali, Rwanda",
        "Kigali",
        "100000001",
        "BE0000000001",
        "IM0560000001",
        "3301960EWT",
        "26-0000001",
    ),
    "huye-coffee": ("Maraba sector\nHuye, Rwanda", "Huye", "101234567", "", "", "", ""),
    "nyungwe-tea": ("Gisakura\nNyamasheke, Rwanda", "Nyamasheke", "102345678", "", "", "", ""),
    "gahaya-baskets": ("KN 5 Rd, Kimironko\nKigali, Rwanda", "Kigali", "103456789", "", "", "", ""),
    "kigali-chili": ("KK 15 Rd, Kicukiro\nKigali, Rwanda", "Kigali", "104567890", "", "", "", ""),
    "inzuki-fashion": (
        "KN 4 Ave, Nyarugenge\nKigali, Rwanda",
        "Kigali",
        "105678901",
        "",
        "",
        "",
        "",
    ),
}


@transaction.atomic
def setup_ensure() -> dict[str, int]:
    created = {"jurisdictions": 0, "profiles": 0}
    for slug, countries, kind, code, name in JURISDICTIONS:
        authority = Organisation.objects.filter(slug=slug).first()
        if authority is None:
            continue
        for country in countries:
            _j, was_created = Jurisdiction.objects.get_or_create(
                country=country,
                kind=kind,
                defaults={"authority": authority, "office_code": code, "office_name": name},
            )
            created["jurisdictions"] += was_created
    for slug, (address, city, tin, eori, ioss, cn_code, us_number) in PROFILES.items():
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            continue
        _p, was_created = TraderProfile.objects.get_or_create(
            organisation=organisation,
            defaults={
                "address": address,
                "city": city,
                "tin": tin,
                "eori": eori,
                "ioss_number": ioss,
                "cn_registration_code": cn_code,
                "us_importer_number": us_number,
                "updated_at": clock.now(),
            },
        )
        created["profiles"] += was_created
    return created


def load(stdout: TextIO) -> None:
    reference = reference_data_ensure()
    created = setup_ensure()
    stdout.write(
        "customs: {jurisdictions} jurisdictions, {profiles} trader profiles, ".format(**created)
        + "{sdr_rates} SDR rates, {restricted_goods} restricted goods loaded\n".format(**reference)
    )
