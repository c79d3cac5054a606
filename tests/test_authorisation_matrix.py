"""The authorisation matrix: every page and API route that names an object of one organisation
(an order, a parcel, a declaration, a booking, a product, a ledger account, a cohort ...), and
every page for the platform operator only, asked for by each role of another organisation and
by a guest, with GET and POST: every attempt is refused (401, 403, 404, 405, or a guest sent to
log in). The figures are printed: attempts, refusals, breaches (0)."""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, TestCase
from django.urls import URLPattern, URLResolver, get_resolver

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.accounts.services import api_token_create
from ewtp.customs.services import declarations_submit
from ewtp.learning.models import Application, Certificate, Cohort
from ewtp.ledger.models import Account, Posting
from ewtp.logistics.models import Parcel
from ewtp.logistics.tests.factories import CN_ID_NUMBER, packed, paid_order, world

CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
REFUSED = {401, 403, 404, 405}
# A body refused before anyone is asked who sends it: nothing read, nothing changed.
INVALID = {400, 422}
# Pages anyone may see by design (public catalogue, tracking by code, public certificates ...).
PUBLIC = {
    "catalog:category",
    "catalog:seller",
    "catalog:product",
    "catalog:photo",
    "traderules:territory",
    "traderules:source",
    "traderules:version",
    "logistics:track",
    "tourism:experience",
    "tourism:calendar",
    "tourism:book",
    "learning:programme",
    "learning:course",
    "learning:certificate",
    "learning:certificate_pdf",
    "learning:certificate_credential",
    "customs:trader_profile",
    # Courses are open to every signed-in learner, whatever their organisation.
    "learning:enrol",
    "learning:lesson",
    "learning:lesson_done",
    "learning:lesson_file",
    "learning:quiz",
    "learning:quiz_result",
}
# API routes public by design: a payment's status and a parcel's tracking by their unguessable
# identifiers (the guest's own links), the sandbox's approval (the simulated payer; the sandbox
# exists only where it is named), the experiences on sale.
PUBLIC_API = (
    "api/v1/payments/<payment_id>",
    "api/v1/payments/sandbox/",
    "api/v1/logistics/parcels/<code>/tracking",
    "api/v1/tourism/experiences/",
    "api/v1/learning/courses/",
)
# Pages of the platform operator (or of a steward) alone, with no object in their address.
OPERATOR_ONLY = [
    "/operator/",
    "/accounts/operator/organisations/",
    "/accounts/operator/audit/",
    "/accounts/operator/outbox/",
    "/orders/operator/",
    "/ledger/verify/",
    "/rules/fx/enter/",
]


def _routes() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else ""
                found.append((prefix + str(pattern.pattern), name or str(pattern.name)))

    walk(get_resolver().url_patterns, "", "")
    return found


def _victims() -> dict[tuple[str, str], str]:
    """Objects of the victim organisations, by (first segment of the route, parameter name).

    Victims: the seller Huye Coffee (its products, an order, its parcel and declarations, its
    ledger accounts), the Kigali hub, the park operator (a booking), the academy (a cohort,
    an application, a certificate).
    """
    w = world()
    order = paid_order([(w.coffee, 2)], destination="CN")  # Kigali to Hangzhou
    parcel = packed(w, order)
    Parcel.objects.filter(pk=parcel.pk).update(
        ship_to={**parcel.ship_to, "id_number": CN_ID_NUMBER}
    )
    parcel.refresh_from_db()
    export, _imported = declarations_submit(actor=w.seller, parcel=parcel)
    product = w.coffee
    variant = product.variants.order_by("pk").first()
    booking = _booking()  # paid: the park operator has money in the ledger
    account = Account.objects.exclude(owner_ref="").order_by("pk").first()
    posting = Posting.objects.order_by("pk").first()
    cohort = Cohort.objects.order_by("pk").first()
    application = Application.objects.order_by("pk").first()
    certificate = Certificate.objects.order_by("pk").first()
    assert all([variant, account, posting, cohort, application, certificate])
    token, _clear = api_token_create(user=w.seller, name="the seller's script")
    return {
        ("accounts", "user_id"): str(w.seller.public_id),
        ("accounts", "token_id"): str(token.public_id),
        ("accounts", "slug"): "huye-coffee",
        ("shop", "org"): "huye-coffee",
        ("shop", "slug"): product.slug,
        ("shop", "variant_id"): str(variant.public_id),  # type: ignore[union-attr]
        ("orders", "public_id"): str(order.public_id),
        ("orders", "org"): "huye-coffee",
        ("hubs", "public_id"): str(order.public_id),  # the seller's packing page
        ("hubs", "code"): parcel.code,
        ("customs", "public_id"): str(export.public_id),
        ("customs", "code"): parcel.code,
        ("customs", "kind"): "export",
        ("customs", "fmt"): "xml",
        ("ledger", "public_id"): str(account.public_id),  # type: ignore[union-attr]
        ("ledger", "reference"): posting.reference,  # type: ignore[union-attr]
        ("visit", "booking_id"): str(booking.public_id),
        ("learn", "cohort_id"): str(cohort.public_id),  # type: ignore[union-attr]
        ("learn", "public_id"): str(application.public_id),  # type: ignore[union-attr]
        ("learn", "code"): certificate.code,  # type: ignore[union-attr]
        ("api", "order_id"): str(order.public_id),
        ("api", "declaration_id"): str(export.public_id),
        ("api", "booking_id"): str(booking.public_id),
        ("api", "code"): parcel.code,
        ("api", "hub_code"): "KGL",
        ("api", "payment_id"): booking.payment_ref,
    }


def _booking() -> Any:
    from datetime import timedelta

    from django.utils import timezone

    from ewtp.tourism.models import Booking

    day = (timezone.now() + timedelta(days=25)).date().isoformat()
    answer = Client().post(
        "/api/v1/tourism/experiences/golden-monkey-tracking/bookings",
        {
            "date": day,
            "email": "visitor@example.be",
            "visitors": [
                {
                    "category": "foreign_non_resident",
                    "full_name": "Anne Peeters",
                    "nationality": "BE",
                    "birth_date": "1990-05-01",
                    "document_number": "EU1",
                }
            ],
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="authz-booking",
    )
    assert answer.status_code == 201, answer.content
    payment = answer.json()["payment"]["id"]
    with TestCase.captureOnCommitCallbacks(execute=True):  # the webhook, delivered at once
        approved = Client().post(f"/api/v1/payments/sandbox/{payment}/approve")
    assert approved.status_code == 200, approved.content
    booking = Booking.objects.get(public_id=answer.json()["id"])
    assert booking.status == "confirmed"
    return booking


def _attackers() -> list[tuple[str, Client | None]]:
    """Each role of an organisation other than the victims', and a guest."""
    others = {
        "seller (Nyungwe Tea)": "tea@demo.ewtp.rw",
        "seller (Gahaya Baskets)": "baskets@demo.ewtp.rw",
        "hub staff (Liège)": "liege@demo.ewtp.rw",
        "customs officer (Belgium)": "customs.be@demo.ewtp.rw",
        "rule steward": "steward@demo.ewtp.rw",
        "buyer": "buyer@demo.ewtp.rw",
    }
    clients: list[tuple[str, Client | None]] = [("guest", Client())]
    for label, email in others.items():
        client = Client()
        client.force_login(User.objects.get(email=email))
        clients.append((label, client))
    for kind, label in (
        (Organisation.Kind.TOUR_OPERATOR, "tour operator (another)"),
        (Organisation.Kind.TRAINING_PROVIDER, "training provider (another)"),
    ):
        org = Organisation.objects.create(
            slug=f"other-{kind}".replace("_", "-"),
            name=label,
            kind=kind,
            country="RW",
            verification=Organisation.Verification.VERIFIED,
        )
        user = User.objects.create_user(email=f"owner@{org.slug}.rw", password="x" * 12)
        Membership.objects.create(user=user, organisation=org, role="owner")
        client = Client()
        client.force_login(user)
        clients.append((label, client))
    return clients


def _addresses(victims: dict[tuple[str, str], str]) -> tuple[list[str], list[str]]:
    """The object-bearing addresses filled with the victims' objects, and the routes left out
    (public by design, or naming nothing a victim has)."""
    addresses, left_out = [], []
    for route, name in _routes():
        if "<" not in route or name in PUBLIC or route.startswith(("admin/", "sim/", "i18n/")):
            continue
        if route.startswith(PUBLIC_API) or route.startswith("rules/steward/"):
            continue  # public, or the rule steward's own workbench (no organisation's object)
        section = route.split("/", 1)[0]
        values = {}
        for match in CONVERTER.finditer(route):
            value = victims.get((section, match.group("name")))
            if value is None and match.group("kind") == "int":
                value = "1"
            if value is None and match.group("name") == "action":
                value = "deliver"
            if value is None and match.group("name") in {"size"}:
                value = "small"
            if value is None and match.group("name") == "table":
                value = "tariffs"
            if value is None and match.group("name") in {"slug", "token"}:
                value = {"learn": "export-readiness", "visit": "golden-monkey-tracking"}.get(
                    section, "x"
                )
            values[match.group(0)] = value
        if any(value in (None, "") for value in values.values()):
            left_out.append(route)
            continue
        address = "/" + route
        for placeholder, value in values.items():
            address = address.replace(placeholder, str(value))
        addresses.append(address)
    return addresses + OPERATOR_ONLY, left_out


def _refused(response: Any, guest: bool) -> bool:
    if response.status_code in REFUSED:
        return True
    location = response.get("Location", "")
    return response.status_code == 302 and guest and "/accounts/login/" in location


@pytest.mark.django_db
def test_no_role_of_another_organisation_reaches_an_object_it_does_not_own() -> None:
    call_command("loaddemo", stdout=io.StringIO())
    victims = _victims()
    addresses, left_out = _addresses(victims)
    attackers = _attackers()
    tally: Counter[str] = Counter()
    breaches = []
    for who, client in attackers:
        assert client is not None
        for address in addresses:
            for method in ("get", "post"):
                response = getattr(client, method)(address)
                tally["attempts"] += 1
                if _refused(response, guest=who == "guest"):
                    tally["refused"] += 1
                elif method == "post" and response.status_code in INVALID:
                    tally["invalid"] += 1
                else:
                    breaches.append(f"{who}: {method.upper()} {address} -> {response.status_code}")
    print(
        f"\nauthorisation matrix: {len(addresses)} object-bearing addresses x "
        f"{len(attackers)} roles of other organisations x GET/POST = {tally['attempts']} "
        f"attempts, {tally['refused']} refused, {tally['invalid']} POSTs refused as invalid "
        f"before any access, {len(breaches)} breaches; "
        f"left out (nothing of a victim to name): {len(left_out)} {left_out}"
    )
    assert breaches == [], "\n".join(breaches)


@pytest.mark.django_db
def test_a_gate_only_member_reaches_the_check_in_page_and_no_other_tourism_page() -> None:
    """The gate-only role of the park operator, against every tourism page and API route
    that names one of its own objects (or none): only the gate answers."""
    from ewtp.tourism.tests.factories import make_experience

    experience = make_experience(slug="golden-monkey-tracking")
    booking = _booking()
    gate_user = User.objects.create_user(email="gate@parks.rw", password="x" * 12)
    Membership.objects.create(user=gate_user, organisation=experience.operator, role="gate")
    client = Client()
    client.force_login(gate_user)
    values = {
        "booking_id": str(booking.public_id),
        "slug": experience.slug,
        "payment_id": booking.payment_ref,
    }
    allowed = {"tourism:gate", "api/v1/tourism/checkins"}
    tally: Counter[str] = Counter()
    breaches = []
    for route, name in _routes():
        if not route.startswith(("visit/", "api/v1/tourism/")) or name in PUBLIC:
            continue
        if route == "visit/" or (route.rstrip("/") + "/").startswith(PUBLIC_API):
            continue  # the experiences on sale, public by design
        address = "/" + CONVERTER.sub(lambda match: values.get(match.group("name"), "x"), route)
        for method in ("get", "post"):
            response = getattr(client, method)(address)
            tally["attempts"] += 1
            reached = response.status_code not in REFUSED | INVALID
            tally["reached" if reached else "refused"] += 1
            if reached and name not in allowed and route.rstrip("/") not in allowed:
                breaches.append(f"{method.upper()} {address} -> {response.status_code}")
    assert client.get("/visit/gate/").status_code == 200
    print(f"\ngate-only member: {dict(tally)}, breaches {len(breaches)}")
    assert breaches == [], "\n".join(breaches)
