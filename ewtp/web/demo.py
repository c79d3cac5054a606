"""The demo scenario: the Kigali hub's organisations and a demo user per role.

Every loader is idempotent (get-or-create on natural keys), so `ewtp loaddemo` may run any
number of times. Each domain app may add a `demo.py` with `load(stdout)`; they run in order.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Protocol

from django.db import transaction

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.core import clock


class Writer(Protocol):
    def write(self, text: str) -> object: ...


DEMO_PASSWORD = "ewtp-demo-2026"

# Loaded after the organisations and users, in this order, where the app ships one.
APP_DEMOS = [
    "ewtp.traderules.demo",
    "ewtp.catalog.demo",
    "ewtp.logistics.demo",  # before orders: checkout prices carriage on the hub network
    "ewtp.orders.demo",
    "ewtp.ledger.demo",
    "ewtp.payments.demo",
    "ewtp.customs.demo",
    "ewtp.tourism.demo",
    "ewtp.learning.demo",
    "ewtp.insights.demo",  # last: a year of history over all of the above
]


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    name: str
    kind: str
    country: str
    description: str


K = Organisation.Kind
ORGANISATIONS = [
    DemoOrganisation(
        "ewtp-rwanda",
        "eWTP Rwanda Hub",
        K.PLATFORM_OPERATOR,
        "RW",
        "Runs the platform for the Kigali trade hub.",
    ),
    DemoOrganisation(
        "huye-coffee",
        "Huye Mountain Coffee Cooperative",
        K.SELLER,
        "RW",
        "Smallholder cooperative washing and roasting coffee on the slopes of Huye.",
    ),
    DemoOrganisation(
        "nyungwe-tea",
        "Nyungwe Highland Tea Estate",
        K.SELLER,
        "RW",
        "Black and green teas grown at the edge of Nyungwe forest.",
    ),
    DemoOrganisation(
        "gahaya-baskets",
        "Gahaya Weavers Cooperative",
        K.SELLER,
        "RW",
        "Agaseke peace baskets woven by hand from sisal and sweetgrass.",
    ),
    DemoOrganisation(
        "kigali-chili",
        "Kigali Chili Oil Makers",
        K.SELLER,
        "RW",
        "Akabanga-style chili oil and dried peppers from Rwandan farms.",
    ),
    DemoOrganisation(
        "inzuki-fashion",
        "Inzuki Designs",
        K.SELLER,
        "RW",
        "A Kigali fashion label: shirts and accessories in kitenge prints.",
    ),
    DemoOrganisation(
        "kigali-hub",
        "Kigali Logistics Platform",
        K.HUB_OPERATOR,
        "RW",
        "Origin hub at Kigali International Airport.",
    ),
    DemoOrganisation(
        "liege-hub", "Liege eHub", K.HUB_OPERATOR, "BE", "European gateway hub at Liege Airport."
    ),
    DemoOrganisation(
        "hangzhou-hub",
        "Hangzhou eHub",
        K.HUB_OPERATOR,
        "CN",
        "Cross-border e-commerce hub in the Hangzhou comprehensive pilot zone.",
    ),
    DemoOrganisation(
        "kualalumpur-hub",
        "Kuala Lumpur eFulfilment Hub",
        K.HUB_OPERATOR,
        "MY",
        "South-East Asian hub at KLIA Aeropolis.",
    ),
    DemoOrganisation(
        "rra-customs",
        "Rwanda Revenue Authority, Customs Services",
        K.CUSTOMS_AUTHORITY,
        "RW",
        "Export declarations through the Rwanda Electronic Single Window.",
    ),
    DemoOrganisation(
        "be-customs",
        "Belgian Customs (AAD&A)",
        K.CUSTOMS_AUTHORITY,
        "BE",
        "Import declarations for the EU at Liege.",
    ),
    DemoOrganisation(
        "cn-customs",
        "Hangzhou Customs",
        K.CUSTOMS_AUTHORITY,
        "CN",
        "Cross-border retail import clearance.",
    ),
    DemoOrganisation(
        "visit-rwanda-parks",
        "Rwanda Parks and Experiences",
        K.TOUR_OPERATOR,
        "RW",
        "Volcanoes, Akagera and Nyungwe national parks.",
    ),
    DemoOrganisation(
        "ewtp-academy",
        "eWTP Academy Kigali",
        K.TRAINING_PROVIDER,
        "RW",
        "E-commerce training for lecturers, founders and exporters.",
    ),
    DemoOrganisation(
        "minicom-rules",
        "Ministry of Trade and Industry, Trade Rules Desk",
        K.RULE_STEWARD,
        "RW",
        "Keeps the trade rules of the hub's destinations.",
    ),
]


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    organisation: str | None
    role: str
    language: str = "en"
    is_staff: bool = False


USERS = [
    DemoUser("operator@demo.ewtp.rw", "Grace Operator", "ewtp-rwanda", "owner", is_staff=True),
    DemoUser("seller@demo.ewtp.rw", "Jean-Paul Habimana", "huye-coffee", "owner", "fr"),
    DemoUser("tea@demo.ewtp.rw", "Aline Uwase", "nyungwe-tea", "owner"),
    DemoUser("baskets@demo.ewtp.rw", "Claudine Mukamana", "gahaya-baskets", "owner", "rw"),
    DemoUser("chili@demo.ewtp.rw", "Eric Nshuti", "kigali-chili", "owner"),
    DemoUser("fashion@demo.ewtp.rw", "Divine Ingabire", "inzuki-fashion", "owner"),
    DemoUser("hub@demo.ewtp.rw", "Patrick Hub", "kigali-hub", "staff"),
    DemoUser("liege@demo.ewtp.rw", "Marie Dubois", "liege-hub", "staff", "fr"),
    DemoUser("customs.rw@demo.ewtp.rw", "Officer Mugisha", "rra-customs", "staff"),
    DemoUser("customs.be@demo.ewtp.rw", "Officer Janssens", "be-customs", "staff", "fr"),
    DemoUser("customs.cn@demo.ewtp.rw", "Officer Li", "cn-customs", "staff", "zh-hans"),
    DemoUser("tours@demo.ewtp.rw", "Samuel Tours", "visit-rwanda-parks", "owner"),
    DemoUser("gate@demo.ewtp.rw", "Gate Ranger", "visit-rwanda-parks", "staff", "rw"),
    DemoUser("trainer@demo.ewtp.rw", "Dr. Esther Trainer", "ewtp-academy", "owner"),
    DemoUser("steward@demo.ewtp.rw", "Rule Steward", "minicom-rules", "owner"),
    # The second pair of eyes: a steward's publication waits for another steward's approval.
    DemoUser("steward2@demo.ewtp.rw", "Second Steward", "minicom-rules", "staff", "fr"),
    DemoUser("buyer@demo.ewtp.rw", "Wang Fang", None, "", "zh-hans"),
]


@transaction.atomic
def load_base(stdout: Writer) -> None:
    operator_org: Organisation | None = None
    created = 0
    for spec in ORGANISATIONS:
        organisation, was_created = Organisation.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "kind": spec.kind,
                "country": spec.country,
                "description": spec.description,
            },
        )
        created += was_created
        if spec.kind == K.PLATFORM_OPERATOR:
            operator_org = organisation
    operator = None
    for user_spec in USERS:
        user = User.objects.filter(email=user_spec.email).first()
        if user is None:
            user = User.objects.create_user(
                user_spec.email,
                DEMO_PASSWORD,
                full_name=user_spec.full_name,
                language=user_spec.language,
                is_staff=user_spec.is_staff,
                is_superuser=user_spec.is_staff,
            )
            created += 1
        if user_spec.organisation:
            Membership.objects.get_or_create(
                user=user,
                organisation=Organisation.objects.get(slug=user_spec.organisation),
                defaults={"role": user_spec.role},
            )
        if user_spec.email.startswith("operator@"):
            operator = user
    Organisation.objects.filter(
        slug__in=["huye-coffee", "gahaya-baskets"], seller_category=""
    ).update(seller_category=Organisation.SellerCategory.COOPERATIVE)
    Organisation.objects.filter(kind=K.SELLER, seller_category="").update(
        seller_category=Organisation.SellerCategory.COMPANY
    )
    # Every demo organisation is verified by the operator, once.
    Organisation.objects.filter(verification=Organisation.Verification.SUBMITTED).update(
        verification=Organisation.Verification.VERIFIED,
        verified_by=operator,
        verified_at=clock.now(),
    )
    assert operator_org is not None
    stdout.write(f"organisations and users: {created} created\n")


def load_all(stdout: Writer) -> None:
    load_base(stdout)
    for name in APP_DEMOS:
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        module.load(stdout)


def print_logins(stdout: Writer) -> None:
    stdout.write(f"\nDemo log-ins (password for all: {DEMO_PASSWORD})\n")
    for user_spec in USERS:
        where = user_spec.organisation or "buyer"
        stdout.write(f"  {user_spec.email:<28} {where}\n")
