"""Four eyes on publishing, rates in percent and their bounds, changes in words."""

from __future__ import annotations

from typing import Any

import pytest

from ewtp.accounts.models import Membership, Organisation, User
from ewtp.core.errors import Conflict, InvalidRequest, PermissionDenied
from ewtp.core.models import AuditLog
from ewtp.traderules.models import PublicationRequest, RuleVersion, TariffLine, Tax
from ewtp.traderules.rates import fraction_from_percent, percent_label, rate_bound_problems
from ewtp.traderules.selectors.changes import describe_changes
from ewtp.traderules.services.edits import rule_row_save, rules_publish, tariff_line_save
from ewtp.traderules.services.publication import (
    publication_approve,
    publication_request,
    publication_withdraw,
)


def test_percentages_convert_both_ways() -> None:
    assert fraction_from_percent("6") == "0.06"
    assert fraction_from_percent("5.5") == "0.055"
    assert fraction_from_percent("5,5 %") == "0.055"
    assert fraction_from_percent("20") == "0.2"
    assert fraction_from_percent("20", previous="0.20") == "0.20"
    assert fraction_from_percent("0") == "0"
    assert fraction_from_percent("") == ""
    with pytest.raises(ValueError):
        fraction_from_percent("-6")
    assert [percent_label(v) for v in ("0.06", "0.055", "0.20", "0", "")] == [
        "6%",
        "5.5%",
        "20%",
        "0%",
        "",
    ]


def test_bounds_per_kind_of_rate() -> None:
    assert rate_bound_problems("taxes", {"rate": "0.27"}) == {}
    assert rate_bound_problems("taxes", {"rate": "0.51"}) == {
        "rate": "A tax rate must be between 0% and 50%; 51% is outside."
    }
    assert rate_bound_problems("tariff_lines", {"mfn_ad_valorem": "3.5"}) == {}
    assert rate_bound_problems("tariff_lines", {"mfn_ad_valorem": "10.01"}) == {
        "mfn_ad_valorem": "A duty rate must be between 0% and 1000%; 1001% is outside."
    }
    assert rate_bound_problems("fees", {"ad_valorem": "0.25"}) == {
        "ad_valorem": "A fee rate must be between 0% and 20%; 25% is outside."
    }
    assert rate_bound_problems("preferences", {"rate": "1.5"}) == {
        "rate": "A preferential rate must be between 0% and 100%; 150% is outside."
    }


def test_a_rate_out_of_bounds_is_refused_and_nothing_changes(steward: Any) -> None:
    tax = Tax.objects.get(country="BE", kind="vat", hs_prefix="*")
    tax.rate = "0.6"
    with pytest.raises(InvalidRequest) as caught:
        rule_row_save(actor=steward, row=tax)
    assert caught.value.fields == {"rate": "A tax rate must be between 0% and 50%; 60% is outside."}
    assert Tax.objects.get(pk=tax.pk).rate == "0.21"
    assert not AuditLog.objects.filter(action__startswith="traderules.row").exists()


def _coffee_at_8(steward: Any) -> None:
    line = TariffLine.objects.get(territory="EU", code="090121")
    line.mfn_ad_valorem = "0.08"
    tariff_line_save(actor=steward, tariff_line=line)


def test_the_requester_cannot_approve_and_a_second_steward_publishes(
    steward: Any, second_steward: Any
) -> None:
    _coffee_at_8(steward)
    with pytest.raises(PermissionDenied) as direct:
        rules_publish(actor=steward, note="alone")
    assert direct.value.code == "four_eyes"
    asked = publication_request(actor=steward, note="EU roasted coffee to 8%")
    assert asked.organisation is not None and asked.organisation.slug == "rra-rules"
    with pytest.raises(PermissionDenied) as own:
        publication_approve(actor=steward, request_id=asked.pk)
    assert own.value.code == "four_eyes"
    assert RuleVersion.objects.count() == 1
    version = publication_approve(actor=second_steward, request_id=asked.pk)
    asked.refresh_from_db()
    assert (asked.status, asked.decided_by, asked.version) == ("approved", second_steward, version)
    assert version.created_by == steward and version.note == "EU roasted coffee to 8%"
    assert [entry.action for entry in AuditLog.objects.order_by("id")][-4:] == [
        "traderules.row.updated",
        "traderules.publication.requested",
        "traderules.publication.approved",
        "traderules.version.published",
    ]
    with pytest.raises(Conflict):
        publication_approve(actor=second_steward, request_id=asked.pk)


def test_a_steward_of_another_organisation_may_not_approve(steward: Any) -> None:
    other = User.objects.create_user("other@example.org", "a-long-password-1")
    organisation = Organisation.objects.create(
        slug="other-rules",
        name="Other rules",
        kind="rule_steward",
        country="RW",
        verification="verified",
    )
    Membership.objects.create(user=other, organisation=organisation, role="owner")
    _coffee_at_8(steward)
    asked = publication_request(actor=steward, note="8%")
    with pytest.raises(PermissionDenied) as caught:
        publication_approve(actor=other, request_id=asked.pk)
    assert caught.value.message == "Only another steward of rra-rules may approve this publication."
    assert RuleVersion.objects.count() == 1


def test_an_edit_after_the_request_stops_the_approval(steward: Any, second_steward: Any) -> None:
    _coffee_at_8(steward)
    asked = publication_request(actor=steward, note="8%")
    line = TariffLine.objects.get(territory="EU", code="090121")
    line.mfn_ad_valorem = "0.09"
    tariff_line_save(actor=steward, tariff_line=line)
    with pytest.raises(Conflict) as caught:
        publication_approve(actor=second_steward, request_id=asked.pk)
    assert caught.value.code == "working_copy_changed"
    assert RuleVersion.objects.count() == 1
    again = publication_request(actor=steward, note="9%")
    asked.refresh_from_db()
    assert asked.status == "withdrawn" and asked.reason == "replaced by a newer request"
    assert publication_approve(actor=second_steward, request_id=again.pk).note == "9%"


def test_withdrawing_and_turning_down(steward: Any, second_steward: Any) -> None:
    _coffee_at_8(steward)
    asked = publication_request(actor=steward, note="8%")
    with pytest.raises(InvalidRequest):
        publication_withdraw(actor=second_steward, request_id=asked.pk)
    publication_withdraw(actor=second_steward, request_id=asked.pk, reason="Wrong source")
    asked.refresh_from_db()
    assert (asked.status, asked.reason, asked.decided_by) == (
        "withdrawn",
        "Wrong source",
        second_steward,
    )
    assert PublicationRequest.objects.filter(status="pending").count() == 0
    mine = publication_request(actor=steward, note="8% again")
    publication_withdraw(actor=steward, request_id=mine.pk)
    assert AuditLog.objects.filter(action="traderules.publication.withdrawn").count() == 2
    assert RuleVersion.objects.count() == 1


def test_changes_read_as_sentences(steward: Any) -> None:
    tax = Tax.objects.get(country="BE", kind="vat", hs_prefix="09")
    changes = {
        "taxes": {
            "added": 0,
            "removed": 0,
            "changed": 1,
            "rows": [
                {
                    "change": "changed",
                    "key": f"BE vat 09 {tax.valid_from.isoformat() if tax.valid_from else '-'}",
                    "fields": {"rate": [tax.rate, "0.12"]},
                }
            ],
        }
    }
    [described] = describe_changes(changes)
    assert described["subject"].startswith(
        "VAT on coffee, tea, mate and spices (HS 09) into Belgium"
    )
    assert described["lines"] == [{"label": "", "old": "6%", "new": "12%"}]
