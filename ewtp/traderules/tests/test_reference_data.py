"""Reference data: seeded by `migrate`, idempotent, and the snapshot built from it."""

from __future__ import annotations

import pytest

from ewtp.core.models import AuditLog
from ewtp.traderules.models import (
    ExchangeRate,
    FxState,
    HsCode,
    HsSection,
    LowValueRegime,
    RuleVersion,
    Source,
    TariffLine,
    Tax,
    Territory,
)
from ewtp.traderules.selectors.snapshot import current_rules, snapshot_cache_clear
from ewtp.traderules.services.reference_data import reference_data_ensure

pytestmark = pytest.mark.django_db


def test_migrate_seeds_the_shipped_reference_data() -> None:
    version = RuleVersion.objects.get()
    assert version.created_by is None
    assert version.note == "shipped reference data"
    assert version.label.endswith(".1")
    assert HsSection.objects.count() == 21
    assert HsCode.objects.filter(level=6).count() == 5612  # without Comtrade's 999999
    assert not HsCode.objects.filter(code__in=["99", "9999", "999999"]).exists()
    assert HsCode.objects.get(code="090121").parent_id == "0901"
    assert Territory.objects.count() == 7
    assert TariffLine.objects.count() == 140
    assert Tax.objects.count() == 312
    assert LowValueRegime.objects.count() == 16
    assert Source.objects.count() == 74
    assert ExchangeRate.objects.filter(origin="rule_table").count() == 34
    assert ExchangeRate.objects.filter(origin="ecb", currency="USD").count() == 325
    assert version.changes["tariff_lines"]["added"] == 140


def test_reference_data_ensure_is_idempotent() -> None:
    counts = (RuleVersion.objects.count(), ExchangeRate.objects.count(), HsCode.objects.count())
    revision = FxState.objects.get().revision
    audits = AuditLog.objects.count()
    assert reference_data_ensure() == {}
    assert counts == (
        RuleVersion.objects.count(),
        ExchangeRate.objects.count(),
        HsCode.objects.count(),
    )
    assert FxState.objects.get().revision == revision
    assert AuditLog.objects.count() == audits


def test_reference_data_ensure_fills_what_is_missing() -> None:
    ExchangeRate.objects.filter(origin="rule_table").delete()
    revision = FxState.objects.get().revision
    audits = AuditLog.objects.filter(action="traderules.reference_data.loaded").count()
    loaded = reference_data_ensure()
    assert loaded == {"table_rates": 34}
    assert ExchangeRate.objects.filter(origin="rule_table").count() == 34
    assert FxState.objects.get().revision == revision + 1
    assert AuditLog.objects.filter(action="traderules.reference_data.loaded").count() == audits + 1


def test_snapshot_comes_from_the_database_version() -> None:
    rules = current_rules()
    assert rules.origin == "database"
    assert rules.label == RuleVersion.objects.get().label
    assert "090121" in rules.snapshot.hs_subheadings
    assert rules.snapshot.territories["EU"].currency == "EUR"


def test_without_a_version_the_shipped_files_are_used() -> None:
    RuleVersion.objects.all().delete()
    snapshot_cache_clear()
    rules = current_rules()
    assert rules.origin == "files"
    assert rules.label == "shipped"
    assert len(rules.table("tariff_lines")) == 140
