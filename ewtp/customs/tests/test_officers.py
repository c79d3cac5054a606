"""The officer's side: a queue per authority (only its own), decisions with their rules and
audit, risk flags computed from data, and the desk's figures."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ewtp.catalog.models import Variant
from ewtp.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from ewtp.core.models import AuditLog
from ewtp.customs import selectors
from ewtp.customs.models import Decision, Declaration, RestrictedGoods
from ewtp.customs.risk import Restriction, RiskLine, risk_flags
from ewtp.customs.services import declaration_decide, declarations_submit
from ewtp.logistics.models import Clearance, Parcel
from ewtp.logistics.tests.factories import CN_ID_NUMBER, packed, paid_order, product, world


@pytest.fixture
def w(db):
    return world()


def _submitted(w, destination="BE", quantity=3, weight="2.1", statement=False):
    order = paid_order([(w.coffee, quantity)], destination=destination)
    parcel = packed(w, order, weight=weight)
    if destination == "CN":
        Parcel.objects.filter(pk=parcel.pk).update(
            ship_to={**parcel.ship_to, "id_number": CN_ID_NUMBER}
        )
        parcel.refresh_from_db()
    export, imported = declarations_submit(
        actor=w.seller, parcel=parcel, is_origin_statement_made=statement
    )
    return parcel, export, imported


def test_each_authority_sees_only_its_own_declarations(w):
    _be, be_export, be_import = _submitted(w, "BE")
    _cn, cn_export, cn_import = _submitted(w, "CN", quantity=2, weight="1.4")
    assert list(selectors.declaration_queue_for(w.officer_be)) == [be_import]
    assert list(selectors.declaration_queue_for(w.officer_cn)) == [cn_import]
    assert list(selectors.declaration_queue_for(w.officer_rw)) == [be_export, cn_export]
    assert list(selectors.declaration_queue_for(w.officer_rw, country="CN")) == [cn_export]
    assert list(selectors.declaration_queue_for(w.seller)) == []  # a seller has no queue
    with pytest.raises(NotFound):
        selectors.declaration_get_for(w.officer_cn, be_import.public_id)
    with pytest.raises(NotFound):
        declaration_decide(actor=w.officer_cn, declaration=be_import, action="release")
    assert (
        selectors.declaration_get_for(w.seller, be_import.public_id) == be_import
    )  # its seller reads it
    with pytest.raises(NotFound):  # but may not decide
        declaration_decide(actor=w.seller, declaration=be_import, action="release")


def test_decisions_follow_their_rules_and_are_audited(w):
    _parcel, _export, declaration = _submitted(w)
    with pytest.raises(InvalidRequest) as no_reason:
        declaration_decide(actor=w.officer_be, declaration=declaration, action="hold")
    assert "reason" in no_reason.value.fields
    with pytest.raises(InvalidRequest) as no_note:
        declaration_decide(
            actor=w.officer_be, declaration=declaration, action="reject", reason="valuation"
        )
    assert "note" in no_note.value.fields
    declaration_decide(actor=w.officer_be, declaration=declaration, action="inspect")
    declaration_decide(
        actor=w.officer_be,
        declaration=declaration,
        action="hold",
        reason="valuation",
        note="invoice?",
    )
    with pytest.raises(Conflict):  # already held
        declaration_decide(
            actor=w.officer_be, declaration=declaration, action="hold", reason="other"
        )
    released = declaration_decide(actor=w.officer_be, declaration=declaration, action="release")
    assert (released.status, released.hold_reason) == ("released", "valuation")
    assert released.released_at is not None
    for action in ("release", "hold", "inspect", "reject"):
        with pytest.raises(Conflict) as forbidden:
            declaration_decide(
                actor=w.officer_be,
                declaration=declaration,
                action=action,
                reason="other",
                note="late",
            )
        assert forbidden.value.http_status == 409 and forbidden.value.code == "invalid_transition"
    assert list(
        Decision.objects.filter(declaration=declaration).values_list(
            "action", "from_status", "to_status"
        )
    ) == [
        ("inspect", "submitted", "inspection"),
        ("hold", "inspection", "held"),
        ("release", "held", "released"),
    ]
    assert list(
        AuditLog.objects.filter(target_id=str(declaration.public_id))
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "customs.declaration.submitted",
        "customs.declaration.inspection",
        "customs.declaration.held",
        "customs.declaration.released",
    ]


def test_a_viewer_may_read_but_not_decide(w):
    from ewtp.accounts.models import Membership, User

    _parcel, _export, declaration = _submitted(w)
    viewer = User.objects.create_user("viewer@customs.test", "x" * 12)
    Membership.objects.create(
        user=viewer, organisation=declaration.authority, role=Membership.Role.VIEWER
    )
    assert list(selectors.declaration_queue_for(viewer)) == [declaration]
    with pytest.raises(PermissionDenied):
        declaration_decide(actor=viewer, declaration=declaration, action="release")


def test_release_of_the_export_lets_the_parcel_be_dispatched(w):
    parcel, export, _imported = _submitted(w)
    declaration_decide(actor=w.officer_rw, declaration=export, action="release")
    parcel.refresh_from_db()
    assert (parcel.export_clearance, parcel.import_clearance) == (
        Clearance.RELEASED,
        Clearance.SUBMITTED,
    )


def test_a_rejected_export_returns_the_parcel_with_the_reason(w):
    parcel, export, _imported = _submitted(w)
    declaration_decide(
        actor=w.officer_rw,
        declaration=export,
        action="reject",
        reason="restricted",
        note="export licence missing",
    )
    parcel.refresh_from_db()
    export.refresh_from_db()
    assert parcel.status == Parcel.Status.RETURNED
    assert parcel.exception_reason == "Restricted goods: licence needed: export licence missing"
    assert export.decision_note == "export licence missing"


# Risk flags ------------------------------------------------------------------------------


def _codes(declaration):
    declaration.refresh_from_db()
    return [flag["code"] for flag in declaration.risk_flags]


def test_a_clean_parcel_has_no_flag(w):
    _parcel, export, imported = _submitted(w, weight="2.1")  # 1.65 kg of coffee and its box
    assert _codes(export) == [] and _codes(imported) == []


def test_declared_value_far_below_the_catalog_price_is_flagged(w):
    order = paid_order([(w.coffee, 3)], destination="BE")
    Variant.objects.filter(product=w.coffee).update(price_minor=30000)  # the listing now asks more
    parcel = packed(w, order, weight="2.1")
    _export, imported = declarations_submit(actor=w.seller, parcel=parcel)
    assert imported.risk_flags == [
        {
            "code": "undervalued",
            "line": 1,
            "message": "Line 1 declared at 12000 RWF a unit, 40% of the catalog price 30000 RWF.",
            "params": {
                "line": 1,
                "declared": "12000",
                "share": "40",
                "catalog": "30000",
                "currency": "RWF",
            },
        }
    ]


@pytest.mark.parametrize(
    ("weight", "flagged"), [("1.3", True), ("1.32", False), ("2.975", False), ("3.1", True)]
)
def test_parcel_weight_far_from_the_goods_weight_is_flagged(w, weight, flagged):
    # 3 x 0.55 kg = 1.65 kg of goods: from 1.32 kg (80%) to 2.975 kg (150% + 0.5 kg).
    _parcel, export, _imported = _submitted(w, weight=weight)
    assert ("weight_mismatch" in _codes(export)) is flagged


def test_restricted_hs_codes_from_the_dated_list_are_flagged(w):
    gold = product(
        w.seller,
        w.coffee_org,
        title="Gold nugget pendant",
        hs_code="7108.13",
        weight="0.05",
        price=90000,
        sku="GOLD-1",
    )
    order = paid_order([(gold, 1)], destination="BE")
    parcel = packed(w, order, weight="0.2", dims=(10, 10, 5))
    export, imported = declarations_submit(actor=w.seller, parcel=parcel)
    assert _codes(export) == ["restricted_goods"]
    assert "ICGLR" in export.risk_flags[0]["message"]
    assert "restricted_goods" not in _codes(imported)  # the list restricts gold on export only
    RestrictedGoods.objects.filter(hs_prefix="7108").update(
        valid_to=date.today() - timedelta(days=1)
    )
    flags = risk_flags(
        lines=[RiskLine(1, "710813", "gold", 1, Decimal(1), None, Decimal("0.05"), "RWF")],
        parcel_weight_kg=Decimal("0.06"),
        restrictions=[Restriction("7108", "gold", date(2022, 1, 1), date(2023, 1, 1), "x")],
        on=date(2026, 11, 26),
        is_origin_statement_made=True,
    )
    assert flags == []  # a restriction no longer in force flags nothing


def test_a_preference_claimed_without_proof_is_flagged(w):
    _parcel, export, imported = _submitted(w, quantity=25, weight="14.5")  # above EUR 150: EBA used
    assert _codes(imported) == ["preference_without_proof"]
    assert imported.origin_statement and not imported.is_origin_statement_made
    assert _codes(export) == []
    _parcel2, _export2, proven = _submitted(w, quantity=25, weight="14.5", statement=True)
    assert _codes(proven) == [] and proven.is_origin_statement_made


def test_the_queue_filters_by_flag_kind_and_status(w):
    _p1, _e1, clean = _submitted(w)
    _p2, _e2, flagged = _submitted(w, quantity=25, weight="14.5")
    queue = selectors.declaration_queue_for
    assert list(queue(w.officer_be, flag="any")) == [flagged]
    assert list(queue(w.officer_be, flag="preference_without_proof")) == [flagged]
    assert list(queue(w.officer_be, kind="export")) == []
    declaration_decide(actor=w.officer_be, declaration=clean, action="release")
    assert list(queue(w.officer_be)) == [flagged]  # open ones only by default
    assert list(queue(w.officer_be, status="released")) == [clean]
    assert list(queue(w.officer_be, status="all")) == [clean, flagged]


def test_figures_time_to_release_and_holds_by_reason(w):
    _p1, _e1, first = _submitted(w)
    _p2, _e2, second = _submitted(w)
    _p3, _e3, third = _submitted(w)
    declaration_decide(
        actor=w.officer_be, declaration=first, action="hold", reason="documents_missing"
    )
    declaration_decide(
        actor=w.officer_be, declaration=second, action="hold", reason="documents_missing"
    )
    declaration_decide(actor=w.officer_be, declaration=third, action="hold", reason="valuation")
    declaration_decide(actor=w.officer_be, declaration=first, action="release")
    declaration_decide(actor=w.officer_be, declaration=second, action="release")
    submitted = Declaration.objects.get(pk=first.pk).released_at - timedelta(hours=6)
    Declaration.objects.filter(pk=first.pk).update(submitted_at=submitted)  # six hours to release
    figures = selectors.figures_for(w.officer_be)
    assert figures.authority.slug == "be-customs"
    assert figures.released == 2
    assert figures.release_hours_p90 == 6.0
    assert figures.by_status["released"] == 2 and figures.by_status["held"] == 1
    assert figures.holds_by_reason == [
        ("documents_missing", "Documents missing", 2),
        ("valuation", "Value to be justified", 1),
    ]
    assert selectors.figures_for(w.seller) is None
