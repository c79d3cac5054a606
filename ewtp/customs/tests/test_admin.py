"""The admin shows declarations and traders' customs numbers and changes none of them:
declarations are submitted and decided through the customs services (which keep the
parcel's clearance in step), customs numbers are checked by trader_profile_set."""

from __future__ import annotations

from typing import Any

import pytest

from ewtp.core.tests.admin_checks import assert_admin_refuses_writes
from ewtp.customs.models import TraderProfile
from ewtp.customs.services import declarations_submit
from ewtp.logistics.tests.factories import packed, paid_order, world

pytestmark = pytest.mark.django_db


def test_the_admin_refuses_to_write_declarations_and_trader_profiles(admin_client: Any) -> None:
    w = world()
    parcel = packed(w, paid_order([(w.coffee, 1)], destination="BE"))
    export, imported = declarations_submit(actor=w.seller, parcel=parcel)
    assert (export.kind, imported.kind) == ("export", "import")

    for declaration in (export, imported):
        assert_admin_refuses_writes(
            admin_client,
            "customs/declaration",
            declaration,
            {"status": "released", "reference": "FORGED"},
        )
    profile = TraderProfile.objects.get(organisation=w.coffee_org)
    assert_admin_refuses_writes(
        admin_client, "customs/traderprofile", profile, {"tin": "1", "eori": "XX"}
    )
    # Reference data stays editable here.
    assert admin_client.get("/admin/customs/sdrrate/add/").status_code == 200
