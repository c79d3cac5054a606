"""Rules import and export, steward edits and publishing, exchange rates: exact rows written,
nothing written on failure, every change audited."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ewtp.core.errors import PermissionDenied
from ewtp.core.models import AuditLog
from ewtp.traderules.errors import NothingToPublish, RatesInvalid, RulesInvalid
from ewtp.traderules.models import (
    ExchangeRate,
    FxState,
    LowValueRegime,
    RuleVersion,
    Source,
    TariffLine,
    Tax,
    Territory,
)
from ewtp.traderules.selectors.permissions import can_steward
from ewtp.traderules.selectors.snapshot import quote_compute, snapshot_cache_clear
from ewtp.traderules.services.edits import (
    rule_row_delete,
    rule_row_save,
    rules_publish,
    tariff_line_save,
    tax_save,
)
from ewtp.traderules.services.fx import fx_import, fx_rate_enter
from ewtp.traderules.services.publication import publication_request
from ewtp.traderules.services.versions import rules_export, rules_import

from .conftest import RULE_FILES, SHIPPED_RULES, publish_four_eyes

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        RuleVersion.objects.count(),
        TariffLine.objects.count(),
        Tax.objects.count(),
        Territory.objects.count(),
        ExchangeRate.objects.count(),
        AuditLog.objects.count(),
    )


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# Import: validation names the file, row and column; a failure writes nothing ----------------


def test_import_rejects_a_bad_rate_naming_file_row_and_column(rules_dir: Path) -> None:
    _replace(
        rules_dir / "tariff_lines.csv",
        'EU,090121,"Coffee, roasted, not decaffeinated",0.075',
        'EU,090121,"Coffee, roasted, not decaffeinated",7.5%',
    )
    before = _counts()
    with pytest.raises(RulesInvalid) as caught:
        rules_import(rules_dir, actor=None)
    assert caught.value.code == "invalid_rules"
    assert caught.value.fields == {
        "tariff_lines.csv:3:mfn_ad_valorem": "Enter a plain decimal number such as 0.075."
    }
    assert "tariff_lines.csv row 3, column mfn_ad_valorem" in caught.value.message
    assert _counts() == before


def test_import_collects_every_problem_of_every_file(rules_dir: Path) -> None:
    _replace(rules_dir / "taxes.csv", "BE,vat,*,0.21,2025-01-01", "BE,vat,*,0.21,2025-13-01")
    _replace(rules_dir / "fees.csv", "0.015,BI KE TZ UG,true", "0.015,BI KE TZ UG,yes")
    _replace(rules_dir / "territories.csv", "US,United States,USD,FOB", "US,United States,USX,FOB")
    _replace(
        rules_dir / "preferences.csv",
        "eu-eba,EU GSP Everything But Arms (EBA),EU,RW,*,93,0,statement_on_origin,2001-03-05,,S11;S52",
        "eu-eba,EU GSP Everything But Arms (EBA),EU,RW,*,93,0,statement_on_origin,2001-03-05,,S99",
    )
    _replace(rules_dir / "fx_rates.csv", "2025-01-10,KES,133.26", "2025-01-10,KES,-133.26")
    before = _counts()
    with pytest.raises(RulesInvalid) as caught:
        rules_import(rules_dir, actor=None)
    fields = dict(caught.value.fields)
    assert fields.pop("taxes.csv:22:valid_from").startswith("month must be in 1..12")
    assert fields == {
        "territories.csv:3:customs_currency": "Not an ISO 4217 currency code.",
        "fees.csv:2:in_tax_base": "true or false",
        "preferences.csv:2:source": "S99 is not in SOURCES.csv",
        "fx_rates.csv:3:units_per_eur": "a positive decimal number, such as 1697.50",
    }
    assert _counts() == before


def test_import_rejects_a_missing_column_and_a_short_row(rules_dir: Path) -> None:
    text = (rules_dir / "documents.csv").read_text(encoding="utf-8")
    (rules_dir / "documents.csv").write_text(
        text.replace(
            "territory,hs_prefix,document,when,source,confidence",
            "territory,hs_prefix,document,source,confidence",
        ),
        encoding="utf-8",
    )
    with (rules_dir / "additional_duties.csv").open("a", encoding="utf-8") as extra:
        extra.write("us-x,Short row,US\n")
    before = _counts()
    with pytest.raises(RulesInvalid) as caught:
        rules_import(rules_dir, actor=None)
    fields = caught.value.fields
    assert fields["documents.csv:1:when"] == "this column is missing"
    assert fields["additional_duties.csv:3"] == "3 cells where the header has 11"
    assert _counts() == before


def test_import_rejects_malformed_regimes_json(rules_dir: Path) -> None:
    (rules_dir / "regimes.json").write_text('{"EU": [', encoding="utf-8")
    with pytest.raises(RulesInvalid) as caught:
        rules_import(rules_dir, actor=None)
    assert list(caught.value.fields) == ["regimes.json:1"]


def test_import_rejects_a_regime_the_engine_cannot_apply(rules_dir: Path) -> None:
    regimes = json.loads((rules_dir / "regimes.json").read_text(encoding="utf-8"))
    regimes["GB"][0]["conditions"]["weight_limit"] = {"kg": "2"}
    regimes["US"][0]["valid_to"] = "2025-02-30"
    (rules_dir / "regimes.json").write_text(json.dumps(regimes, indent=2), encoding="utf-8")
    with pytest.raises(RulesInvalid) as caught:
        rules_import(rules_dir, actor=None)
    fields = caught.value.fields
    assert list(fields) == ["regimes.json:US[0]:valid_to"]
    (rules_dir / "regimes.json").write_text(
        json.dumps(
            {**regimes, "US": json.loads((SHIPPED_RULES / "regimes.json").read_text())["US"]}
        ),
        encoding="utf-8",
    )
    with pytest.raises(RulesInvalid) as caught:
        rules_import(rules_dir, actor=None)
    assert caught.value.fields == {"regimes.json:GB[0]": "unknown condition 'weight_limit'"}


def test_import_creates_a_version_and_replaces_the_working_copy(rules_dir: Path) -> None:
    _replace(rules_dir / "taxes.csv", "BE,vat,*,0.21,2025-01-01", "BE,vat,*,0.22,2025-01-01")
    TariffLine.objects.filter(code="040900").delete()  # a working-copy edit the import discards
    previous = RuleVersion.objects.get()
    version = rules_import(rules_dir, actor=None, note="Belgian VAT to 22%")
    assert version.label == f"{date.today().isoformat()}.2"
    assert version.note == "Belgian VAT to 22%"
    assert version.changes == {
        "taxes": {
            "added": 0,
            "removed": 0,
            "changed": 1,
            "rows": [
                {
                    "change": "changed",
                    "key": "BE vat * 2025-01-01",
                    "fields": {"rate": ["0.21", "0.22"]},
                }
            ],
        }
    }
    assert RuleVersion.objects.order_by("-id").first() == version != previous
    assert Tax.objects.get(country="BE", hs_prefix="*").rate == "0.22"
    assert TariffLine.objects.count() == 140
    audit = AuditLog.objects.get(action="traderules.version.imported")
    assert audit.target_id == str(version.pk)
    assert audit.data["changes"] == {"taxes": {"added": 0, "removed": 0, "changed": 1}}
    assert audit.data["fx"] == {"created": 0, "updated": 0, "unchanged": 34, "removed": 0}


# Export: the shipped format, lossless ---------------------------------------------------------


def test_export_reproduces_the_shipped_files_byte_for_byte(tmp_path: Path) -> None:
    written = rules_export(tmp_path / "out")
    assert sorted(path.name for path in written) == sorted(RULE_FILES)
    for name in RULE_FILES:
        assert (tmp_path / "out" / name).read_bytes() == (SHIPPED_RULES / name).read_bytes(), name


def test_export_then_import_is_lossless(tmp_path: Path, rules_dir: Path) -> None:
    # A version that differs from the shipped one in every table that allows it.
    _replace(rules_dir / "tariff_lines.csv", ",0.075,", ",0.0750,")
    regimes = json.loads((rules_dir / "regimes.json").read_text(encoding="utf-8"))
    regimes["RW"] = [dict(regimes["KE"] or regimes["GB"][0], id="rw-test", source="S35")]
    (rules_dir / "regimes.json").write_text(json.dumps(regimes), encoding="utf-8")
    first = rules_import(rules_dir, actor=None)
    rules_export(tmp_path / "a")
    second = rules_import(tmp_path / "a", actor=None)
    rules_export(tmp_path / "b")
    assert second.content == first.content
    assert second.changes == {}
    for name in RULE_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert LowValueRegime.objects.filter(territory="RW", regime_id="rw-test").count() == 1


def test_export_of_an_older_version(tmp_path: Path, rules_dir: Path) -> None:
    shipped = RuleVersion.objects.get()
    _replace(rules_dir / "taxes.csv", "BE,vat,*,0.21", "BE,vat,*,0.22")
    rules_import(rules_dir, actor=None)
    rules_export(tmp_path / "old", version=shipped.label)
    assert (tmp_path / "old" / "taxes.csv").read_bytes() == (
        SHIPPED_RULES / "taxes.csv"
    ).read_bytes()


# Steward edits and publishing -----------------------------------------------------------------


def test_a_seller_can_neither_edit_nor_publish(seller: Any) -> None:
    line = TariffLine.objects.get(territory="EU", code="090121")
    line.mfn_ad_valorem = "0.08"
    before = _counts()
    with pytest.raises(PermissionDenied):
        tariff_line_save(actor=seller, tariff_line=line)
    with pytest.raises(PermissionDenied):
        rules_publish(actor=seller, note="cheaper coffee")
    with pytest.raises(PermissionDenied):
        rules_import(SHIPPED_RULES, actor=seller)
    assert _counts() == before
    assert TariffLine.objects.get(pk=line.pk).mfn_ad_valorem == "0.075"


def test_a_steward_edits_and_publishes_and_the_quote_changes(
    steward: Any, second_steward: Any, kenyan_coffee: dict[str, Any]
) -> None:
    before = quote_compute(kenyan_coffee)
    assert before["lines"][0]["duty"]["amount"] == "22.50"
    assert before["totals"]["customs"]["landed"] == "341.85"

    line = TariffLine.objects.get(territory="EU", code="090121")
    line.mfn_ad_valorem = "0.08"
    tariff_line_save(actor=steward, tariff_line=line)
    # Not in force before it is published.
    snapshot_cache_clear()
    assert quote_compute(kenyan_coffee)["totals"]["customs"]["landed"] == "341.85"

    version = publish_four_eyes(steward, second_steward, "EU roasted coffee to 8%")
    assert version.label == f"{date.today().isoformat()}.2"
    assert version.created_by == steward
    assert version.changes["tariff_lines"]["rows"] == [
        {
            "change": "changed",
            "key": "EU 090121 2020-01-01",
            "fields": {"mfn_ad_valorem": ["0.075", "0.08"]},
        }
    ]
    after = quote_compute(kenyan_coffee)
    assert after["rules_version"] == version.label
    assert after["lines"][0]["duty"] == {
        "amount": "24.00",
        "rate": "8%",
        "programme": None,
        "tariff_code": "090121",
        "source": "S09;S56",
        "confidence": "high",
        "treatment": "mfn",
    }
    assert after["totals"]["customs"]["taxes"] == "19.44"
    assert after["totals"]["customs"]["landed"] == "343.44"

    edit = AuditLog.objects.get(action="traderules.row.updated")
    assert edit.actor == steward
    assert edit.data["table"] == "tariff_lines"
    assert edit.data["before"]["mfn_ad_valorem"] == "0.075"
    assert edit.data["after"]["mfn_ad_valorem"] == "0.08"
    published = AuditLog.objects.get(action="traderules.version.published", actor=second_steward)
    assert published.data == {
        "label": version.label,
        "note": "EU roasted coffee to 8%",
        "changes": {"tariff_lines": {"added": 0, "removed": 0, "changed": 1}},
        "requested_by": steward.pk,
        "approved_by": second_steward.pk,
    }


def test_an_unverified_steward_organisation_may_not_publish(steward: Any) -> None:
    steward.memberships.update(role="viewer")
    assert not can_steward(steward)
    steward.memberships.update(role="staff")
    assert can_steward(steward)
    steward.memberships.first().organisation.__class__.objects.update(verification="submitted")
    assert not can_steward(steward)
    with pytest.raises(PermissionDenied):
        publication_request(actor=steward, note="anything")


def test_publishing_nothing_is_refused(steward: Any) -> None:
    with pytest.raises(NothingToPublish):
        publication_request(actor=steward, note="no change")
    assert RuleVersion.objects.count() == 1


def test_the_platform_operator_may_steward(operator: Any) -> None:
    tax = Tax(
        country="RW",
        kind="vat",
        hs_prefix="0901",
        rate="0",
        valid_from=date(2027, 1, 1),
        source="S37",
    )
    tax_save(actor=operator, tax=tax)
    version = rules_publish(actor=operator, note="zero-rate coffee from 2027")
    assert version.changes["taxes"]["added"] == 1
    assert AuditLog.objects.filter(action="traderules.row.created", actor=operator).count() == 1


def test_row_validation_and_references(steward: Any) -> None:
    line = TariffLine(territory="ZZ", code="09x1", mfn_ad_valorem="", source="S404")
    with pytest.raises(Exception) as caught:
        rule_row_save(actor=steward, row=line)
    assert caught.value.fields == {  # type: ignore[attr-defined]
        "code": "A tariff code is 2, 4, 6, 8 or 10 digits (a national line is 8 or 10).",
        "mfn_ad_valorem": "Give an ad valorem rate, a specific amount or both.",
    }
    line.code = "090111"
    line.mfn_ad_valorem = "0"
    with pytest.raises(Exception) as caught:
        rule_row_save(actor=steward, row=line)
    assert caught.value.fields == {  # type: ignore[attr-defined]
        "source": "Not in the sources: S404.",
        "territory": "ZZ is not a territory.",
    }
    assert not TariffLine.objects.filter(territory="ZZ").exists()


def test_deleting_a_source_still_cited_is_caught_at_publish(steward: Any) -> None:
    rule_row_delete(actor=steward, row=Source.objects.get(code="S09"))
    assert AuditLog.objects.get(action="traderules.row.deleted").data["key"] == "S09"
    with pytest.raises(RulesInvalid) as caught:
        publication_request(actor=steward, note="drop S09")
    assert caught.value.fields["tariff_lines.csv:2:source"] == "S09 is not in SOURCES.csv"
    assert RuleVersion.objects.count() == 1


# Exchange rates ------------------------------------------------------------------------------


ECB_HISTORY = "Date,USD,JPY,RWF\n2026-11-20,1.1500,180.10,N/A\n2026-11-19,1.1490,179.95,N/A\n"
ECB_DAY = "Date, USD, JPY, \n20 November 2026, 1.1500, 180.10, \n"
OWN = (
    "date,currency,units_per_eur,source,confidence,note\n"
    "2026-11-20,RWF,1712.40,BNR daily rate,high,\n"
    "2026-11-20,KES,150.05,CBK indicative rate,medium,as quoted\n"
)


def test_fx_import_of_the_ecb_history_shape(tmp_path: Path) -> None:
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(ECB_HISTORY, encoding="utf-8")
    revision = FxState.objects.get().revision
    result = fx_import(path, actor=None)
    assert result.as_dict() == {
        "origin": "ecb",
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "revision": revision + 1,
    }
    rate = ExchangeRate.objects.get(date=date(2026, 11, 20), currency="USD", origin="ecb")
    assert (rate.units_per_eur, rate.rate_text, rate.source) == (Decimal("1.15"), "1.1500", "S30")
    audit = AuditLog.objects.get(action="traderules.fx.imported")
    assert audit.data["file"] == "eurofxref-hist.csv" and audit.data["created"] == 4


def test_fx_import_of_the_ecb_one_day_shape_is_idempotent(tmp_path: Path) -> None:
    fx_import_path = tmp_path / "eurofxref.csv"
    fx_import_path.write_text(ECB_DAY, encoding="utf-8")
    first = fx_import(fx_import_path, actor=None)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    again = fx_import(fx_import_path, actor=None)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert again.revision == first.revision
    history = tmp_path / "hist.csv"
    history.write_text(ECB_HISTORY, encoding="utf-8")
    merged = fx_import(history, actor=None)  # the same day in the other shape: equal values
    assert (merged.created, merged.updated, merged.unchanged) == (2, 0, 2)


def test_fx_import_of_the_platform_rate_table(
    tmp_path: Path, kenyan_coffee: dict[str, Any]
) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(OWN, encoding="utf-8")
    result = fx_import(path, actor=None)
    assert (result.origin, result.created) == ("rule_table", 2)
    rwf = ExchangeRate.objects.get(date=date(2026, 11, 20), currency="RWF")
    assert (rwf.rate_text, rwf.source, rwf.confidence, rwf.origin) == (
        "1712.40",
        "BNR daily rate",
        "high",
        "rule_table",
    )
    # The quote picks the new rate up: RWF on 2026-11-26 now comes from 2026-11-20.
    request = {**kenyan_coffee, "origin": "RW"}
    request["lines"] = [
        {**request["lines"][0], "unit_price": {"amount": "171240", "currency": "RWF"}}
    ]
    quoted = quote_compute(request)
    assert quoted["fx"] == [
        {
            "from": "RWF",
            "to": "EUR",
            "rate": "0.000583976",
            "date": "2026-11-20",
            "source": "BNR daily rate",
        }
    ]
    assert quoted["totals"]["customs"]["goods"] == "300.00"
    assert not quoted["warnings"]


def test_fx_import_rejects_bad_rows_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(
        "date,currency,units_per_eur,source\n"
        "2026-11-20,RWF,1712.40,BNR\n"
        "2026-11-31,KES,150,CBK\n"
        "2026-11-20,EUR,1,ECB\n"
        "2026-11-21,RWF,0,BNR\n"
        "2026-11-21,KES,151.2,\n",
        encoding="utf-8",
    )
    before = _counts()
    with pytest.raises(RatesInvalid) as caught:
        fx_import(path, actor=None)
    assert sorted(caught.value.fields) == [
        "rates.csv:3:date",
        "rates.csv:4:currency",
        "rates.csv:5:units_per_eur",
        "rates.csv:6:source",
    ]
    bad_ecb = tmp_path / "ecb.csv"
    bad_ecb.write_text(
        "Date,USD\n2026-11-20,1.15\n2026/11/21,1.16\n2026-11-22,abc\n", encoding="utf-8"
    )
    with pytest.raises(RatesInvalid) as caught:
        fx_import(bad_ecb, actor=None)
    assert caught.value.fields == {
        "ecb.csv:3:Date": "an ECB date such as 2026-04-13 or 13 April 2026",
        "ecb.csv:4:USD": "not a positive rate: 'abc'",
    }
    unknown = tmp_path / "other.csv"
    unknown.write_text("day,rate\n", encoding="utf-8")
    with pytest.raises(RatesInvalid):
        fx_import(unknown, actor=None)
    assert _counts() == before


def test_an_operator_enters_a_rate_and_quotes_use_it(operator: Any, seller: Any) -> None:
    with pytest.raises(PermissionDenied):
        fx_rate_enter(
            actor=seller,
            date=date(2026, 11, 25),
            currency="RWF",
            units_per_eur="1715",
            source="BNR",
        )
    with pytest.raises(RatesInvalid) as caught:
        fx_rate_enter(
            actor=operator, date=date(2099, 1, 1), currency="EUR", units_per_eur="-1", source=" "
        )
    assert sorted(caught.value.fields) == ["currency", "date", "source", "units_per_eur"]
    revision = FxState.objects.get().revision
    rate = fx_rate_enter(
        actor=operator,
        date=date(2026, 11, 25),
        currency="RWF",
        units_per_eur="1715.00",
        source="BNR reference rate 2026-11-25",
    )
    assert (rate.origin, rate.entered_by, rate.units_per_eur) == (
        "operator",
        operator,
        Decimal("1715"),
    )
    assert FxState.objects.get().revision == revision + 1
    audit = AuditLog.objects.get(action="traderules.fx.entered")
    assert audit.actor == operator
    assert audit.data["units_per_eur"] == "1715.00"
    quoted = quote_compute(
        {
            "origin": "RW",
            "destination": "BE",
            "date": "2026-11-26",
            "lines": [
                {
                    "hs_code": "090121",
                    "quantity": 1,
                    "unit_price": {"amount": "17150", "currency": "RWF"},
                }
            ],
        }
    )
    assert quoted["fx"][0]["date"] == "2026-11-25"
    assert quoted["fx"][0]["source"] == "BNR reference rate 2026-11-25"
    assert quoted["totals"]["customs"]["goods"] == "10.00"


def test_a_regime_the_engine_cannot_apply_is_refused_on_save(steward: Any) -> None:
    regime = LowValueRegime.objects.get(regime_id="gb-low-value-2021")
    regime.conditions = {**regime.conditions, "buyer_kind": "nobody"}
    with pytest.raises(Exception) as caught:
        rule_row_save(actor=steward, row=regime)
    assert caught.value.fields == {  # type: ignore[attr-defined]
        "conditions": "buyer_kind must be consumer or business"
    }
    assert "buyer_kind" not in LowValueRegime.objects.get(pk=regime.pk).conditions
