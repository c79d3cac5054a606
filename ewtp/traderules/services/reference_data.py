"""Reference data shipped with the product: rules, HS codes and rates, loaded after migrate."""

from __future__ import annotations

import csv
import io
from functools import cache
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from ewtp.core import conf
from ewtp.core.models import AuditLog
from ewtp.core.services import audit_record
from ewtp.traderules.engine.files import NOT_NOMENCLATURE
from ewtp.traderules.errors import RatesInvalid
from ewtp.traderules.models import ExchangeRate, FxState, HsCode, HsSection, RuleVersion
from ewtp.traderules.selectors.hs import hs_index_clear
from ewtp.traderules.selectors.snapshot import snapshot_cache_clear
from ewtp.traderules.services.fx import _fx_bump, _fx_upsert, _insert, _parse_ecb
from ewtp.traderules.services.validation import (
    EDITABLE_MODELS,
    _data_from_content,
    _raise_problems,
    rules_read_directory,
)
from ewtp.traderules.services.versions import (
    _version_create,
    _version_summary,
    _working_copy_replace,
)

# Reference data shipped with the product ------------------------------------------------------


def _data_dir() -> Path:
    return Path(conf.DATA_DIR())


@cache
def _shipped_content(
    rules_dir: str, schedules: bool = True
) -> tuple[dict[str, Any], tuple[dict[str, str], ...]]:
    """The shipped rules, validated once per process (seeding runs after every test flush);
    with the full schedules unless ``schedules`` is False (EWTP_RULES_SCHEDULES)."""
    data = rules_read_directory(rules_dir, schedules=schedules)
    return data.content(), tuple(data.fx_rates or ())


@cache
def _shipped_hs(
    hs_dir: str,
) -> tuple[tuple[tuple[str, str, int], ...], tuple[tuple[str, ...], ...]]:
    base = Path(hs_dir)
    sections = tuple(
        (row["section"].strip(), row["name"].strip(), index)
        for index, row in enumerate(
            csv.DictReader(io.StringIO((base / "sections.csv").read_text(encoding="utf-8-sig")))
        )
    )
    codes = tuple(
        (
            row["hscode"].strip(),
            row["level"].strip(),
            row["parent"].strip(),
            row["description"].strip(),
            row["section"].strip(),
        )
        for row in csv.DictReader(
            io.StringIO((base / "harmonized-system.csv").read_text(encoding="utf-8-sig"))
        )
    )
    return sections, codes


@cache
def _shipped_ecb(fx_dir: str) -> tuple[dict[str, str], ...]:
    rows: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    # File order as the engine's loader reads them: the first value seen for a day wins.
    for path in sorted(Path(fx_dir).glob("*.csv")):
        parsed, problems = _parse_ecb(path.read_text(encoding="utf-8"), path.name)
        _raise_problems(problems, RatesInvalid, "shipped exchange rates")
        for row in parsed:
            if (row["date"], row["currency"]) not in seen:
                seen.add((row["date"], row["currency"]))
                rows.append(row)
    return tuple(rows)


def _hs_load() -> int:
    sections, codes = _shipped_hs(str(_data_dir() / "hs"))
    HsSection.objects.bulk_create(
        [HsSection(code=code, name=name, position=position) for code, name, position in sections]
    )
    rows = [
        (
            code,
            int(level),
            None if parent in ("", "TOTAL") else parent,
            description,
            section if section != "TOTAL" else None,
        )
        for code, level, parent, description, section in codes
        if code.isdigit() and code not in NOT_NOMENCLATURE
    ]
    _insert(HsCode, ("code", "level", "parent", "description", "section"), rows)
    return len(rows)


def _our_tables_exist() -> bool:
    names = set(connection.introspection.table_names())
    models = (HsSection, HsCode, RuleVersion, ExchangeRate, FxState, AuditLog)
    needed = {model._meta.db_table for model in (*models, *EDITABLE_MODELS.values())}
    return needed <= names


@transaction.atomic
def reference_data_ensure() -> dict[str, int]:
    """Load what is missing of the shipped reference data; a second call changes nothing.

    HS 2022 nomenclature, the shipped rules as the first version (created_by None, note
    "shipped reference data") with its working copy, the ECB rates of ``data/fx`` and the
    rate table ``data/rules/fx_rates.csv``. Returns the counts loaded.
    """
    loaded: dict[str, int] = {}
    if not HsSection.objects.exists():
        loaded["hs_codes"] = _hs_load()
    rules_dir = str(_data_dir() / "rules")
    if not RuleVersion.objects.exists():
        content, _fx_rows = _shipped_content(rules_dir, conf.RULES_SCHEDULES())
        data = _data_from_content(content, check=False)
        version = _version_create(actor=None, note="shipped reference data", data=data)
        _working_copy_replace(data)
        loaded["rule_version"] = 1
        audit_record(
            actor=None,
            action="traderules.version.published",
            target=version,
            data=_version_summary(version),
        )
    fx_loaded = 0
    if not ExchangeRate.objects.filter(origin=ExchangeRate.Origin.ECB).exists():
        created, _updated, _unchanged = _fx_upsert(
            _shipped_ecb(str(_data_dir() / "fx")), ExchangeRate.Origin.ECB, None
        )
        loaded["ecb_rates"] = created
        fx_loaded += created
    if not ExchangeRate.objects.filter(origin=ExchangeRate.Origin.RULE_TABLE).exists():
        _content, fx_rows = _shipped_content(rules_dir, conf.RULES_SCHEDULES())
        created, _updated, _unchanged = _fx_upsert(fx_rows, ExchangeRate.Origin.RULE_TABLE, None)
        loaded["table_rates"] = created
        fx_loaded += created
    if fx_loaded:
        _fx_bump()
    else:
        FxState.objects.get_or_create(pk=1)
    if loaded:
        audit_record(actor=None, action="traderules.reference_data.loaded", data=loaded)
        snapshot_cache_clear()
        hs_index_clear()
    return loaded


def reference_data_on_migrate(using: str = "default", **_kwargs: Any) -> None:
    """post_migrate hook: seed an empty database so that quotes work after `ewtp migrate`."""
    if using != "default" or not _our_tables_exist():
        return
    reference_data_ensure()
