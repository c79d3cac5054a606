"""Demo data of tourism: Rwanda's parks and four experiences with published capacities and
prices. Idempotent (natural keys); ``load(stdout)`` runs from ``ewtp loaddemo``.

Figures: RDB published tariff (Rwanda Development Board). Gorilla permits USD 1,500 for
foreign non-residents since May 2017, with the exclusive family visit at USD 15,000, the 30%
discount for visitors who also spend 3 days in Nyungwe or Akagera, and the community share
raised to 10% (RDB communiqué, May 2017); USD 500 foreign residents and USD 200 East African
Community citizens. Capacity: 8 visitors per habituated gorilla family a day; sources give
between 10 and 12 families open to visitors (80 to 96 permits): the default here is 96 and
the operator can set it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from typing import TextIO

from django.db import transaction

from ewtp.accounts.models import Organisation
from ewtp.tourism.models import (
    BundleDiscount,
    CancellationRule,
    Experience,
    ExperienceTranslation,
    Park,
    PriceTier,
)

SOURCE = "RDB published tariff"
OPERATOR_SLUG = "visit-rwanda-parks"
EAC = ["BI", "CD", "KE", "RW", "SO", "SS", "TZ", "UG"]

PARKS = [
    ("volcanoes", "Volcanoes National Park", "Volcanoes community revenue-sharing fund"),
    ("akagera", "Akagera National Park", "Akagera community revenue-sharing fund"),
    ("nyungwe", "Nyungwe National Park", "Nyungwe community revenue-sharing fund"),
]

TIERS = [
    # code, English label, French label, proof, French proof, nationalities
    (
        "foreign_non_resident",
        "Foreign non-resident",
        "Non-résident étranger",
        "Passport",
        "Passeport",
        [],
    ),
    (
        "foreign_resident",
        "Foreign resident of Rwanda",
        "Résident étranger au Rwanda",
        "Rwandan residence permit",
        "Permis de résidence rwandais",
        [],
    ),
    (
        "eac_citizen",
        "East African Community citizen",
        "Citoyen de la Communauté d'Afrique de l'Est",
        "EAC passport or national ID",
        "Passeport ou carte d'identité de la CAE",
        EAC,
    ),
]

CANCELLATION = [(31, Decimal("1")), (8, Decimal("0.5")), (0, Decimal("0"))]


@dataclass(frozen=True)
class DemoExperience:
    slug: str
    park: str
    title: str
    title_fr: str
    description: str
    description_fr: str
    meeting_point: str
    meeting_point_fr: str
    rules: str
    rules_fr: str
    minimum_age: int
    starts_at: time
    duration_minutes: int
    capacity: int
    unit: str
    group_size: int
    max_per_booking: int
    prices: tuple[int, int, int]  # USD: foreign non-resident, foreign resident, EAC citizen
    group_price: int | None = None


EXPERIENCES = [
    DemoExperience(
        slug="gorilla-trekking-volcanoes",
        park="volcanoes",
        title="Mountain gorilla trekking",
        title_fr="Trek des gorilles de montagne",
        description=(
            "Hike the bamboo and hagenia forest of the Virunga volcanoes with a ranger and spend "
            "one hour with a habituated mountain gorilla family. Eight visitors per family a day."
        ),
        description_fr=(
            "Marchez dans la forêt de bambous et d'hagenia des volcans Virunga avec un ranger et "
            "passez une heure avec une famille de gorilles habituée. Huit visiteurs par famille "
            "et par jour."
        ),
        meeting_point="Kinigi park headquarters, Musanze",
        meeting_point_fr="Quartier général du parc à Kinigi, Musanze",
        rules=(
            "Minimum age 15 on the day of the trek. Keep 7 metres from the gorillas. "
            "Do not trek with a cold or other illness."
        ),
        rules_fr=(
            "Âge minimum : 15 ans le jour du trek. Restez à 7 mètres des gorilles. "
            "Ne partez pas malade."
        ),
        minimum_age=15,
        starts_at=time(7, 0),
        duration_minutes=360,
        capacity=96,
        unit=Experience.Unit.VISITORS,
        group_size=8,
        max_per_booking=8,
        prices=(1500, 500, 200),
        group_price=15000,
    ),
    DemoExperience(
        slug="golden-monkey-tracking",
        park="volcanoes",
        title="Golden monkey tracking",
        title_fr="Suivi des singes dorés",
        description=(
            "Follow a troop of rare golden monkeys through the bamboo at the foot of Mount "
            "Sabyinyo; one hour with the troop once found."
        ),
        description_fr=(
            "Suivez une troupe de singes dorés dans les bambous au pied du mont Sabyinyo ; une "
            "heure avec la troupe une fois trouvée."
        ),
        meeting_point="Kinigi park headquarters, Musanze",
        meeting_point_fr="Quartier général du parc à Kinigi, Musanze",
        rules="Minimum age 12. Groups of up to 8 visitors per troop.",
        rules_fr="Âge minimum : 12 ans. Groupes de 8 visiteurs au plus par troupe.",
        minimum_age=12,
        starts_at=time(7, 0),
        duration_minutes=240,
        capacity=16,
        unit=Experience.Unit.VISITORS,
        group_size=8,
        max_per_booking=8,
        prices=(100, 65, 40),
    ),
    DemoExperience(
        slug="akagera-game-drive",
        park="akagera",
        title="Akagera guided game drive",
        title_fr="Safari guidé à Akagera",
        description=(
            "A day in Rwanda's savannah park with a park guide in a private vehicle: lions, "
            "elephants, rhinos, giraffes and the lakes along the Tanzanian border. Sold by "
            "vehicle (up to 6 visitors)."
        ),
        description_fr=(
            "Une journée dans la savane avec un guide du parc dans un véhicule privé : lions, "
            "éléphants, rhinocéros, girafes et les lacs le long de la frontière tanzanienne. "
            "Vendu par véhicule (6 visiteurs au plus)."
        ),
        meeting_point="Akagera reception centre, south gate",
        meeting_point_fr="Centre d'accueil d'Akagera, entrée sud",
        rules="Stay in the vehicle outside the marked stops; the guide decides the route.",
        rules_fr="Restez dans le véhicule hors des arrêts balisés ; le guide décide du parcours.",
        minimum_age=0,
        starts_at=time(6, 30),
        duration_minutes=600,
        capacity=12,
        unit=Experience.Unit.GROUPS,
        group_size=6,
        max_per_booking=6,
        prices=(100, 60, 30),
    ),
    DemoExperience(
        slug="nyungwe-canopy-walk",
        park="nyungwe",
        title="Nyungwe canopy walk",
        title_fr="Passerelle de la canopée de Nyungwe",
        description=(
            "Walk the suspended walkway 50 metres above the montane rainforest at Uwinka, "
            "among turacos and colobus monkeys."
        ),
        description_fr=(
            "Marchez sur la passerelle suspendue à 50 mètres au-dessus de la forêt tropicale "
            "de montagne à Uwinka, parmi les touracos et les colobes."
        ),
        meeting_point="Uwinka visitor centre",
        meeting_point_fr="Centre des visiteurs d'Uwinka",
        rules="Minimum age 6. Children walk with an adult.",
        rules_fr="Âge minimum : 6 ans. Les enfants marchent avec un adulte.",
        minimum_age=6,
        starts_at=time(8, 0),
        duration_minutes=150,
        capacity=120,
        unit=Experience.Unit.VISITORS,
        group_size=10,
        max_per_booking=10,
        prices=(60, 50, 30),
    ),
]


def operator() -> Organisation:
    organisation, _created = Organisation.objects.get_or_create(
        slug=OPERATOR_SLUG,
        defaults={
            "name": "Rwanda Parks and Experiences",
            "kind": Organisation.Kind.TOUR_OPERATOR,
            "country": "RW",
            "description": "Volcanoes, Akagera and Nyungwe national parks.",
        },
    )
    return organisation


def experience_create(spec: DemoExperience, organisation: Organisation) -> tuple[Experience, bool]:
    """One experience with its translations, tiers and cancellation policy (idempotent)."""
    park = Park.objects.get(slug=spec.park)
    experience, created = Experience.objects.get_or_create(
        slug=spec.slug,
        defaults={
            "operator": organisation,
            "park": park,
            "title": spec.title,
            "description": spec.description,
            "meeting_point": spec.meeting_point,
            "time_zone": park.time_zone,
            "starts_at_local": spec.starts_at,
            "duration_minutes": spec.duration_minutes,
            "rules": spec.rules,
            "minimum_age": spec.minimum_age,
            "capacity_unit": spec.unit,
            "default_capacity": spec.capacity,
            "group_size": spec.group_size,
            "max_visitors_per_booking": spec.max_per_booking,
            "is_whole_group_bookable": spec.group_price is not None,
            "group_price_minor": spec.group_price * 100 if spec.group_price else None,
            "currency": "USD",
            "source": SOURCE,
        },
    )
    ExperienceTranslation.objects.get_or_create(
        experience=experience,
        language="fr",
        defaults={
            "title": spec.title_fr,
            "description": spec.description_fr,
            "meeting_point": spec.meeting_point_fr,
            "rules": spec.rules_fr,
        },
    )
    for position, (code, label, label_fr, proof, proof_fr, nationalities) in enumerate(TIERS):
        PriceTier.objects.get_or_create(
            experience=experience,
            code=code,
            defaults={
                "label": label,
                "labels": {"fr": label_fr},
                "proof_document": proof,
                "proof_documents": {"fr": proof_fr},
                "eligible_nationalities": nationalities,
                "price_minor": spec.prices[position] * 100,
                "position": position,
                "source": SOURCE,
            },
        )
    for days, rate in CANCELLATION:
        CancellationRule.objects.get_or_create(
            experience=experience, min_days_before=days, defaults={"refund_rate": rate}
        )
    return experience, created


@transaction.atomic
def load(stdout: TextIO) -> None:
    organisation = operator()
    for slug, name, community in PARKS:
        Park.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "time_zone": "Africa/Kigali",
                "community_share_rate": Decimal("0.10"),
                "community_name": community,
            },
        )
    created = 0
    for spec in EXPERIENCES:
        _experience, was_created = experience_create(spec, organisation)
        created += was_created
    gorillas = Experience.objects.get(slug="gorilla-trekking-volcanoes")
    BundleDiscount.objects.get_or_create(
        experience=gorillas,
        name="Gorilla permit discount for 3 days in Nyungwe or Akagera",
        defaults={
            "rate": Decimal("0.30"),
            "minimum_other_days": 3,
            "categories": ["foreign_non_resident"],
            "source": "RDB communiqué, May 2017",
        },
    )
    stdout.write(f"tourism: {created} experiences created ({len(EXPERIENCES)} in the demo)\n")
