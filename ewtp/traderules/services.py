"""Writes of trade rules: reference data, rules import/export, steward edits and publishing,
exchange rates. Every write validates fully first, runs in one transaction and is audited.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from ewtp.core import clock, conf
from ewtp.core.currencies import is_currency
from ewtp.core.errors import DomainError, InvalidRequest, NotFound, PermissionDenied
from ewtp.core.models import AuditLog
from ewtp.core.services import audit_record
from ewtp.traderules import selectors
from ewtp.traderules.content import regimes_object, ruleset_from_content
from ewtp.traderules.engine import RuleSet, build_snapshot, cells
from ewtp.traderules.engine.files import NOT_NOMENCLATURE
from ewtp.traderules.errors import NothingToPublish, RatesInvalid, RulesInvalid
from ewtp.traderules.models import (
    AdditionalDuty,
    Confidence,
    DocumentRequirement,
    ExchangeRate,
    Fee,
    FxState,
    HsCode,
    HsSection,
    LowValueRegime,
    Preference,
    RuleRow,
    RuleVersion,
    Source,
    TariffLine,
    Tax,
    Territory,
)

# The CSV tables of a rules directory, in the order they are validated and written.
CSV_MODELS: dict[str, type[RuleRow] | type[Source]] = {
    "territories": Territory,
    "tariff_lines": TariffLine,
    "preferences": Preference,
    "additional_duties": AdditionalDuty,
    "taxes": Tax,
    "fees": Fee,
    "documents": DocumentRequirement,
    "sources": Source,
}
# Every table a steward may edit (the CSV tables plus the regimes of regimes.json).
EDITABLE_MODELS: dict[str, type[RuleRow] | type[Source]] = {
    **CSV_MODELS,
    "regimes": LowValueRegime,
}
FX_COLUMNS = ("date", "currency", "units_per_eur", "source", "confidence", "note")
_FX_REQUIRED = ("date", "currency", "units_per_eur", "source")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Rate files may carry currencies since withdrawn (the ECB history lists BGN): the format only.
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MAX_PROBLEMS = 200
_ITEMS_PER_TABLE = 50


def file_name(table: str) -> str:
    if table == "sources":
        return "SOURCES.csv"
    if table == "regimes":
        return "regimes.json"
    return f"{table}.csv"


# Problems: every validation error names the file, the row and the column -----------------------


@dataclass(frozen=True)
class Problem:
    file: str
    row: str  # CSV: the record number counting the header as 1; JSON: "EU[0]"
    column: str
    message: str

    @property
    def key(self) -> str:
        return f"{self.file}:{self.row}:{self.column}" if self.column else f"{self.file}:{self.row}"

    def __str__(self) -> str:
        where = f"{self.file} row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


def _raise_problems(problems: Sequence[Problem], error: type[DomainError], what: str) -> None:
    if not problems:
        return
    shown = "; ".join(str(problem) for problem in problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    fields: dict[str, str] = {}
    for problem in problems[:_MAX_PROBLEMS]:
        fields.setdefault(problem.key, problem.message)
    raise error(
        error.code,
        f"The {what} are not valid, nothing was written: {shown}{more}",
        fields=fields,
    )


def _messages(error: ValidationError) -> dict[str, str]:
    if hasattr(error, "error_dict"):
        return {
            name: " ".join(str(message) for item in items for message in item.messages)
            for name, items in error.error_dict.items()
        }
    return {"__all__": " ".join(error.messages)}


# Permissions ----------------------------------------------------------------------------------


def _require_steward(actor: Any) -> None:
    if not selectors.can_steward(actor):
        raise PermissionDenied(
            "permission_denied", _("Only a rule steward or the platform operator may change rules.")
        )


def _require_rates_actor(actor: Any) -> None:
    if not selectors.can_enter_rates(actor):
        raise PermissionDenied(
            "permission_denied", _("Only the platform operator may enter exchange rates.")
        )


# Validated rule data --------------------------------------------------------------------------


@dataclass
class RuleData:
    """Rule tables that passed validation, in the file shapes."""

    tables: dict[str, list[dict[str, str]]]
    regimes: list[tuple[str, list[dict[str, Any]]]]
    fx_rates: list[dict[str, str]] | None = None
    instances: dict[str, list[Any]] = field(default_factory=dict)

    def content(self) -> dict[str, Any]:
        """What a RuleVersion stores."""
        return {
            "tables": {name: list(rows) for name, rows in self.tables.items()},
            "regimes": [[territory, list(items)] for territory, items in self.regimes],
        }


def _date_cell(text: str) -> date | None:
    if not text:
        return None
    if not _ISO_DATE.match(text):
        raise ValueError("an ISO date (YYYY-MM-DD) is required")
    return date.fromisoformat(text)


def _instance_from_row(
    model: type[RuleRow] | type[Source],
    row: Mapping[str, str],
    file: str,
    number: str,
    *,
    check: bool = True,
) -> tuple[Any, list[Problem]]:
    """An unsaved, validated instance of ``model`` from a file row; problems name the cell."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for column in model.COLUMNS:
        text = row.get(column, "")
        name = model.field_name(column)
        model_field = model._meta.get_field(name)
        internal = model_field.get_internal_type()
        if internal == "DateField":
            try:
                values[name] = _date_cell(text)
            except ValueError as error:
                problems.append(Problem(file, number, column, str(error)))
        elif internal == "BooleanField":
            if text not in ("true", "false"):
                problems.append(Problem(file, number, column, "true or false"))
            values[name] = text == "true"
        else:
            values[name] = text
    instance = model(**values)
    if not check:
        return instance, problems
    try:
        instance.full_clean(exclude=["position"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for name, message in _messages(error).items():
            if name in {problem.column for problem in problems}:
                continue
            column = "" if name == "__all__" else model.column_name(name)
            problems.append(Problem(file, number, column, message))
    return instance, problems


def _regime_instance(
    territory: str, raw: Any, position: int, where: str, *, check: bool = True
) -> tuple[LowValueRegime | None, list[Problem]]:
    file = "regimes.json"
    if not isinstance(raw, Mapping):
        return None, [Problem(file, where, "", "a regime is a JSON object")]
    problems: list[Problem] = []
    known = {"id", "name", "valid_from", "valid_to", "conditions", "treatment", "source"}
    known.add("confidence")
    values: dict[str, Any] = {
        "territory": territory,
        "position": position,
        "regime_id": raw.get("id", ""),
        "name": raw.get("name", ""),
        "conditions": raw.get("conditions", {}),
        "treatment": raw.get("treatment", {}),
        "source": raw.get("source", ""),
        "confidence": raw.get("confidence", ""),
        "extra": {key: value for key, value in raw.items() if key not in known},
    }
    for key in ("regime_id", "name", "source", "confidence"):
        if not isinstance(values[key], str):
            problems.append(Problem(file, where, "id" if key == "regime_id" else key, "a string"))
            values[key] = ""
    for key in ("valid_from", "valid_to"):
        text = raw.get(key) or ""
        if not isinstance(text, str):
            problems.append(Problem(file, where, key, "an ISO date string or empty"))
            continue
        try:
            values[key] = _date_cell(text)
        except ValueError as error:
            problems.append(Problem(file, where, key, str(error)))
    regime = LowValueRegime(**values)
    if not check:
        return regime, problems
    try:
        regime.full_clean(exclude=["position"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for name, message in _messages(error).items():
            column = "" if name == "__all__" else LowValueRegime.column_name(name)
            problems.append(Problem(file, where, column, message))
    return regime, problems


def _regime_row(regime: LowValueRegime) -> dict[str, Any]:
    return regime.to_object()


def _validate_fx_rows(
    rows: Sequence[Mapping[str, str]], file: str, first_row: int = 2
) -> tuple[list[dict[str, str]], list[Problem]]:
    problems: list[Problem] = []
    clean: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for index, row in enumerate(rows):
        number = str(index + first_row)
        out = {column: row.get(column, "") or "" for column in FX_COLUMNS}
        try:
            if _date_cell(out["date"]) is None:
                problems.append(Problem(file, number, "date", "a date is required"))
        except ValueError as error:
            problems.append(Problem(file, number, "date", str(error)))
        currency = out["currency"]
        if not _CURRENCY.match(currency) or currency == "EUR":
            problems.append(
                Problem(file, number, "currency", "a currency code (such as RWF) other than EUR")
            )
        rate = _positive_decimal(out["units_per_eur"])
        if rate is None:
            problems.append(
                Problem(file, number, "units_per_eur", "a positive decimal number, such as 1697.50")
            )
        if not out["source"].strip():
            problems.append(Problem(file, number, "source", "a source is required"))
        if out["confidence"] and out["confidence"] not in Confidence.values:
            problems.append(Problem(file, number, "confidence", "high, medium, low or empty"))
        for column in ("source", "note"):
            if "\n" in out[column] or "\r" in out[column]:
                problems.append(Problem(file, number, column, "one line of text"))
        if (out["date"], currency) in seen:
            problems.append(Problem(file, number, "date", f"a second {currency} rate on this date"))
        seen.add((out["date"], currency))
        clean.append(out)
    return clean, problems


def _positive_decimal(text: str) -> Decimal | None:
    text = text.strip()
    if not re.match(r"^\d+(\.\d+)?$", text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if value <= 0 or len(text) > 30:
        return None
    return value


def _validate(
    tables: Mapping[str, Sequence[Mapping[str, str]]],
    regimes_raw: Any,
    fx_rows: Sequence[Mapping[str, str]] | None,
    problems: list[Problem],
    *,
    check: bool = True,
) -> RuleData:
    """Validate every cell, then the references between tables, then build a snapshot.

    ``check=False`` only builds the instances (for content validated when it was stored).
    """
    instances: dict[str, list[Any]] = {}
    clean: dict[str, list[dict[str, str]]] = {}
    for table, model in CSV_MODELS.items():
        file = file_name(table)
        instances[table] = []
        clean[table] = []
        for index, row in enumerate(tables.get(table, ())):
            instance, row_problems = _instance_from_row(
                model, row, file, str(index + 2), check=check
            )
            instance.position = index
            problems.extend(row_problems)
            instances[table].append(instance)
            clean[table].append(instance.to_row())

    regime_pairs: list[tuple[str, list[dict[str, Any]]]] = []
    regime_instances: list[LowValueRegime] = []
    if not isinstance(regimes_raw, Mapping):
        problems.append(Problem("regimes.json", "1", "", "a JSON object: territory -> regimes"))
    else:
        position = 0
        for territory, items in regimes_raw.items():
            if not isinstance(items, list):
                problems.append(Problem("regimes.json", str(territory), "", "a list of regimes"))
                continue
            objects: list[dict[str, Any]] = []
            for index, raw in enumerate(items):
                regime, regime_problems = _regime_instance(
                    str(territory), raw, position, f"{territory}[{index}]", check=check
                )
                position += 1
                problems.extend(regime_problems)
                if regime is not None:
                    regime_instances.append(regime)
                    objects.append(_regime_row(regime))
            regime_pairs.append((str(territory), objects))
    instances["regimes"] = regime_instances

    fx_clean: list[dict[str, str]] | None = None
    if fx_rows is not None:
        fx_clean, fx_problems = _validate_fx_rows(fx_rows, "fx_rates.csv")
        problems.extend(fx_problems)

    data = RuleData(tables=clean, regimes=regime_pairs, fx_rates=fx_clean, instances=instances)
    if not check:
        return data
    problems.extend(_check_references(instances))
    if not problems:
        # The engine parses every rule the way a quote will read it; what it refuses is refused.
        try:
            build_snapshot(ruleset_from_content(data.content()))
        except (ValueError, KeyError, TypeError) as error:
            problems.append(_engine_problem(str(error)))
    return data


def _engine_problem(message: str) -> Problem:
    matched = re.match(r"^(\w+) row (\d+): (.*)$", message)
    if matched:
        return Problem(file_name(matched.group(1)), matched.group(2), "", matched.group(3))
    matched = re.match(r"^regimes (\w+)\[(\d+)\][^:]*: (.*)$", message)
    if matched:
        where = f"{matched.group(1)}[{matched.group(2)}]"
        return Problem("regimes.json", where, "", matched.group(3))
    return Problem("rules", "-", "", message)


def _check_references(instances: Mapping[str, Sequence[Any]]) -> list[Problem]:
    """Sources exist, territories exist, tax and fee countries belong to a territory."""
    problems: list[Problem] = []
    source_ids: set[str] = set()
    for index, source in enumerate(instances.get("sources", ())):
        if source.code in source_ids:
            problems.append(Problem("SOURCES.csv", str(index + 2), "id", "a duplicate id"))
        source_ids.add(source.code)
    territory_codes: set[str] = set()
    member_of: dict[str, str] = {}
    for index, territory in enumerate(instances.get("territories", ())):
        number = str(index + 2)
        if territory.territory in territory_codes:
            problems.append(
                Problem("territories.csv", number, "territory", "a duplicate territory")
            )
        territory_codes.add(territory.territory)
        for country in territory.members.split():
            if country in member_of and member_of[country] != territory.territory:
                problems.append(
                    Problem(
                        "territories.csv",
                        number,
                        "members",
                        f"{country} already belongs to {member_of[country]}",
                    )
                )
            member_of[country] = territory.territory
    for table, rows in instances.items():
        if table == "sources":
            continue
        file = file_name(table)
        for index, row in enumerate(rows):
            number = (
                f"{row.territory}[{_regime_index(rows, index)}]"
                if table == "regimes"
                else str(index + 2)
            )
            for source_id in row.source_ids():
                if source_id not in source_ids:
                    problems.append(
                        Problem(file, number, "source", f"{source_id} is not in SOURCES.csv")
                    )
            if table == "territories":
                continue
            if hasattr(row, "territory") and row.territory not in territory_codes:
                problems.append(
                    Problem(file, number, "territory", f"{row.territory} is not a territory")
                )
            if hasattr(row, "country") and row.country and row.country not in member_of:
                problems.append(
                    Problem(file, number, "country", f"{row.country} is a member of no territory")
                )
    return problems


def _regime_index(rows: Sequence[LowValueRegime], index: int) -> int:
    territory = rows[index].territory
    return sum(1 for row in rows[:index] if row.territory == territory)


def _read_csv(path: Path, columns: Sequence[str], required: Sequence[str], problems: list[Problem]):  # type: ignore[no-untyped-def]
    """Rows of a CSV file as dicts; header and shape problems are recorded."""
    file = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem(file, "-", "", "the file is missing"))
        return []
    except UnicodeDecodeError:
        problems.append(Problem(file, "-", "", "the file is not UTF-8 text"))
        return []
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    records = list(reader)
    if not records:
        problems.append(Problem(file, "1", "", "the file is empty (a header row is required)"))
        return []
    header = records[0]
    for column in required:
        if column not in header:
            problems.append(Problem(file, "1", column, "this column is missing"))
    for column in header:
        if column not in columns:
            problems.append(Problem(file, "1", column, "an unknown column"))
    if len(set(header)) != len(header):
        problems.append(Problem(file, "1", "", "a column appears twice"))
    rows: list[dict[str, str]] = []
    for index, record in enumerate(records[1:]):
        if len(record) != len(header):
            problems.append(
                Problem(
                    file,
                    str(index + 2),
                    "",
                    f"{len(record)} cells where the header has {len(header)}",
                )
            )
            continue
        # A cell neutralised on export (a leading apostrophe before =, +, -, @) is restored.
        rows.append(dict(zip(header, map(cells.restore, record), strict=True)))
    return rows


def rules_read_directory(directory: str | Path) -> RuleData:
    """Read and validate a rules directory in the shipped format; RulesInvalid lists problems.

    Required: territories, tariff_lines, preferences, additional_duties, taxes, fees and
    documents (``.csv``), ``SOURCES.csv`` and ``regimes.json``. ``fx_rates.csv`` is optional.
    """
    base = Path(directory)
    problems: list[Problem] = []
    if not base.is_dir():
        raise RulesInvalid("invalid_rules", f"{base} is not a directory.")
    tables: dict[str, list[dict[str, str]]] = {}
    for table, model in CSV_MODELS.items():
        tables[table] = _read_csv(base / file_name(table), model.COLUMNS, model.COLUMNS, problems)
    regimes_raw: Any = {}
    regimes_path = base / "regimes.json"
    try:
        regimes_raw = json.loads(regimes_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(Problem("regimes.json", "-", "", "the file is missing"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        line = str(getattr(error, "lineno", "-"))
        problems.append(Problem("regimes.json", line, "", f"not valid JSON: {error}"))
    fx_rows: list[dict[str, str]] | None = None
    if (base / "fx_rates.csv").exists():
        fx_rows = _read_csv(base / "fx_rates.csv", FX_COLUMNS, FX_COLUMNS, problems)
    data = _validate(tables, regimes_raw, fx_rows, problems)
    _raise_problems(problems, RulesInvalid, "rule files")
    return data


def _data_from_content(content: Mapping[str, Any], *, check: bool = True) -> RuleData:
    """Fresh unsaved instances of ``content``, validated unless it was when it was stored."""
    problems: list[Problem] = []
    data = _validate(
        content.get("tables", {}),
        regimes_object(content.get("regimes", ())),
        None,
        problems,
        check=check,
    )
    _raise_problems(problems, RulesInvalid, "rules")
    return data


# Versions -------------------------------------------------------------------------------------


def _lock_state() -> FxState:
    """Lock the one state row: publishing, importing and FX writes take their turn."""
    FxState.objects.get_or_create(pk=1)
    return FxState.objects.select_for_update().get(pk=1)


def _next_label(today: date) -> str:
    prefix = f"{today.isoformat()}."
    numbers = [
        int(label.rsplit(".", 1)[1])
        for label in RuleVersion.objects.filter(label__startswith=prefix).values_list(
            "label", flat=True
        )
        if label.rsplit(".", 1)[1].isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1}"


def _table_rows(content: Mapping[str, Any], table: str) -> list[dict[str, Any]]:
    if table == "regimes":
        return [
            {"territory": territory, **item}
            for territory, items in content.get("regimes", ())
            for item in items
        ]
    return [dict(row) for row in content.get("tables", {}).get(table, ())]


def _key(table: str, row: Mapping[str, Any]) -> str:
    model = EDITABLE_MODELS[table]
    return " ".join(str(row.get(column, "")) or "-" for column in model.KEY)


def changes_between(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """Rows added, removed and changed per table, with the first changed rows of each."""
    summary: dict[str, Any] = {}
    for table in EDITABLE_MODELS:
        before = _table_rows(old, table) if old is not None else []
        after = _table_rows(new, table)
        old_by_key: dict[str, list[dict[str, Any]]] = {}
        for row in before:
            old_by_key.setdefault(_key(table, row), []).append(row)
        added = removed = changed = 0
        items: list[dict[str, Any]] = []
        for row in after:
            key = _key(table, row)
            candidates = old_by_key.get(key)
            if not candidates:
                added += 1
                if len(items) < _ITEMS_PER_TABLE:
                    items.append({"change": "added", "key": key})
                continue
            if row in candidates:
                candidates.remove(row)
                continue
            previous = candidates.pop(0)
            changed += 1
            if len(items) < _ITEMS_PER_TABLE:
                fields = {
                    column: [_cell(previous.get(column)), _cell(row.get(column))]
                    for column in sorted(set(previous) | set(row), key=_column_rank(table))
                    if previous.get(column) != row.get(column)
                }
                items.append({"change": "changed", "key": key, "fields": fields})
        for key, rows in old_by_key.items():
            for _row in rows:
                removed += 1
                if len(items) < _ITEMS_PER_TABLE:
                    items.append({"change": "removed", "key": key})
        if added or removed or changed:
            summary[table] = {
                "added": added,
                "removed": removed,
                "changed": changed,
                "rows": items,
            }
    return summary


def _column_rank(table: str):  # type: ignore[no-untyped-def]
    columns = EDITABLE_MODELS[table].COLUMNS

    def rank(column: str) -> tuple[int, str]:
        return (columns.index(column) if column in columns else len(columns), column)

    return rank


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _version_create(*, actor: Any, note: str, data: RuleData) -> RuleVersion:
    previous = RuleVersion.objects.order_by("-id").first()
    content = data.content()
    version = RuleVersion(
        label=_next_label(clock.today()),
        created_at=clock.now(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        note=note,
        content=content,
        changes=changes_between(previous.content if previous else None, content),
    )
    version.full_clean(exclude=["content", "changes"])
    version.save()
    return version


def _working_copy_replace(data: RuleData) -> None:
    for table, model in EDITABLE_MODELS.items():
        model._default_manager.all().delete()
        rows = data.instances.get(table, [])
        for position, row in enumerate(rows):
            row.pk = None
            row.position = position
        model._default_manager.bulk_create(rows, batch_size=500)


def _version_summary(version: RuleVersion) -> dict[str, Any]:
    return {
        "label": version.label,
        "note": version.note,
        "changes": {
            table: {key: value for key, value in counts.items() if key != "rows"}
            for table, counts in version.changes.items()
        },
    }


def rules_import(directory: str | Path, actor: Any = None, *, note: str = "") -> RuleVersion:
    """Import a rules directory as a new version, replacing the working copy.

    Every file is validated fully before anything is written; a failure writes nothing. The
    writes run in one transaction. ``fx_rates.csv``, when present, replaces the rule-table
    exchange rates. ``actor`` None is the command line; a user must be a steward.
    """
    if actor is not None:
        _require_steward(actor)
    # Validated before the transaction opens: on SQLite it holds the write lock.
    data = rules_read_directory(directory)
    return _rules_import_write(
        data, actor=actor, note=note or f"imported from {Path(directory).name}"
    )


@transaction.atomic
def _rules_import_write(data: RuleData, *, actor: Any, note: str) -> RuleVersion:
    _lock_state()
    version = _version_create(actor=actor, note=note, data=data)
    _working_copy_replace(data)
    fx_counts = _fx_table_replace(data.fx_rates, actor) if data.fx_rates is not None else None
    audit_record(
        actor=actor,
        action="traderules.version.imported",
        target=version,
        data={**_version_summary(version), "fx": fx_counts},
    )
    selectors.snapshot_cache_clear()
    return version


def rules_export(directory: str | Path, version: str | None = None) -> list[Path]:
    """Write a version (default: the one in force) in the shipped file format.

    The CSV files, ``SOURCES.csv`` and ``regimes.json`` come from the version;
    ``fx_rates.csv`` holds the rule-table exchange rates as they are now (rates are not part
    of a version). Returns the paths written.
    """
    chosen = (
        RuleVersion.objects.filter(label=version).first()
        if version
        else RuleVersion.objects.order_by("-id").first()
    )
    if chosen is None:
        raise NotFound("not_found", f"No rules version {version or 'in force'}.")
    base = Path(directory)
    base.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    tables = chosen.content.get("tables", {})
    for table, model in CSV_MODELS.items():
        path = base / file_name(table)
        _write_csv(path, model.COLUMNS, tables.get(table, ()))
        written.append(path)
    path = base / "regimes.json"
    regimes = regimes_object(chosen.content.get("regimes", ()))
    path.write_text(json.dumps(regimes, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(path)
    path = base / "fx_rates.csv"
    _write_csv(path, FX_COLUMNS, _fx_table_rows())
    written.append(path)
    return written


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        # A cell a spreadsheet would run as a formula is neutralised (restored on import).
        writer.writerow([cells.neutralise(str(row.get(column, ""))) for column in columns])
    path.write_text(out.getvalue(), encoding="utf-8")


def _fx_table_rows() -> list[dict[str, str]]:
    return [
        {
            "date": rate.date.isoformat(),
            "currency": rate.currency,
            "units_per_eur": rate.rate_text,
            "source": rate.source,
            "confidence": rate.confidence,
            "note": rate.note,
        }
        for rate in ExchangeRate.objects.filter(origin=ExchangeRate.Origin.RULE_TABLE).order_by(
            "currency", "date"
        )
    ]


# Steward edits of the working copy and publishing --------------------------------------------


def _row_problems_against_working_copy(row: Any) -> dict[str, str]:
    fields: dict[str, str] = {}
    if isinstance(row, Source):
        clash = Source.objects.filter(code=row.code).exclude(pk=row.pk).exists()
        if clash:
            fields["code"] = "Another source has this id."
        return fields
    known = set(Source.objects.values_list("code", flat=True))
    missing = [source_id for source_id in row.source_ids() if source_id not in known]
    if missing:
        fields["source"] = f"Not in the sources: {', '.join(missing)}."
    territories = list(Territory.objects.all())
    if isinstance(row, Territory) and row.pk is not None:
        territories = [territory for territory in territories if territory.pk != row.pk]
    if isinstance(row, Territory):
        if any(other.territory == row.territory for other in territories):
            fields["territory"] = "Another territory has this code."
        taken = {c: t.territory for t in territories for c in t.member_list()}
        clashes = [c for c in row.member_list() if c in taken]
        if clashes:
            fields["members"] = f"Already in another territory: {', '.join(clashes)}."
        return fields
    if isinstance(row, LowValueRegime):
        # The engine parses the regime as a quote will; what it refuses is refused now.
        try:
            build_snapshot(RuleSet(regimes={row.territory: [row.to_object()]}))
        except (ValueError, KeyError, TypeError) as error:
            fields["conditions"] = re.sub(r"^regimes \S+ \([^)]*\): ", "", str(error))
    codes = {territory.territory for territory in territories}
    members = {country for territory in territories for country in territory.member_list()}
    territory = getattr(row, "territory", None)
    if territory is not None and territory not in codes:
        fields["territory"] = f"{territory} is not a territory."
    country = getattr(row, "country", None)
    if country is not None and country not in members:
        fields["country"] = f"{country} is a member of no territory."
    return fields


@transaction.atomic
def rule_row_save(*, actor: Any, row: RuleRow | Source) -> RuleRow | Source:
    """Create or update one working-copy row (any table); audited, published later."""
    _require_steward(actor)
    model = type(row)
    if model not in EDITABLE_MODELS.values():
        raise InvalidRequest("invalid_request", _("Not a rule table."))
    before = model._default_manager.filter(pk=row.pk).first() if row.pk else None
    if before is None:
        position = model._default_manager.aggregate(top=Max("position"))["top"]
        row.position = 0 if position is None else position + 1
    try:
        row.full_clean(exclude=["position"], validate_constraints=False)
    except ValidationError as error:
        raise InvalidRequest(
            "invalid_request", _("Please correct the fields shown."), fields=_messages(error)
        ) from None
    fields = _row_problems_against_working_copy(row)
    if fields:
        raise InvalidRequest(
            "invalid_request", _("Please correct the fields shown."), fields=fields
        )
    row.save()
    after = _row_data(row)
    audit_record(
        actor=actor,
        action=f"traderules.row.{'updated' if before else 'created'}",
        target=row,
        data={
            "table": model.TABLE,
            "key": row.key_text(),
            "before": _row_data(before) if before else None,
            "after": after,
        },
    )
    return row


def _row_data(row: Any) -> dict[str, Any]:
    if isinstance(row, LowValueRegime):
        return {"territory": row.territory, **row.to_object()}
    return dict(row.to_row())


def tariff_line_save(*, actor: Any, tariff_line: TariffLine) -> TariffLine:
    saved = rule_row_save(actor=actor, row=tariff_line)
    assert isinstance(saved, TariffLine)
    return saved


def tax_save(*, actor: Any, tax: Tax) -> Tax:
    saved = rule_row_save(actor=actor, row=tax)
    assert isinstance(saved, Tax)
    return saved


@transaction.atomic
def rule_row_delete(*, actor: Any, row: RuleRow | Source) -> None:
    """Delete one working-copy row; references to it are checked when publishing."""
    _require_steward(actor)
    data = _row_data(row)
    audit_record(
        actor=actor,
        action="traderules.row.deleted",
        target=row,
        data={"table": type(row).TABLE, "key": row.key_text(), "before": data},
    )
    type(row)._default_manager.filter(pk=row.pk).delete()


def working_copy_content() -> dict[str, Any]:
    """The working copy in the shape of a version's content."""
    tables = {
        table: [row.to_row() for row in model._default_manager.order_by("position", "id")]
        for table, model in CSV_MODELS.items()
    }
    pairs: list[list[Any]] = []
    for regime in LowValueRegime.objects.order_by("position", "id"):
        if not pairs or pairs[-1][0] != regime.territory:
            existing = next((pair for pair in pairs if pair[0] == regime.territory), None)
            if existing is not None:
                existing[1].append(regime.to_object())
                continue
            pairs.append([regime.territory, []])
        pairs[-1][1].append(regime.to_object())
    # Territories without regimes keep their (empty) entry, as regimes.json lists them.
    current = RuleVersion.objects.order_by("-id").values_list("content", flat=True).first()
    if current is not None:
        order = [territory for territory, _items in current.get("regimes", ())]
        present = {pair[0] for pair in pairs}
        codes = {row["territory"] for row in tables["territories"]}
        for territory in order:
            if territory not in present and territory in codes:
                pairs.append([territory, []])
        rank = {territory: index for index, territory in enumerate(order)}
        pairs.sort(key=lambda pair: rank.get(pair[0], len(rank)))
    return {"tables": tables, "regimes": pairs}


@transaction.atomic
def rules_publish(*, actor: Any, note: str) -> RuleVersion:
    """Freeze the working copy into a new version, which is then in force."""
    _require_steward(actor)
    note = note.strip()
    if not note:
        raise InvalidRequest(
            "invalid_request", _("Say what this version changes."), fields={"note": "required"}
        )
    _lock_state()
    content = working_copy_content()
    data = _data_from_content(content)
    current = RuleVersion.objects.order_by("-id").first()
    if current is not None and not changes_between(current.content, data.content()):
        raise NothingToPublish(
            "nothing_to_publish", _("The working copy equals the rules in force.")
        )
    version = _version_create(actor=actor, note=note, data=data)
    audit_record(
        actor=actor,
        action="traderules.version.published",
        target=version,
        data=_version_summary(version),
    )
    selectors.snapshot_cache_clear()
    return version


@transaction.atomic
def rules_working_copy_reset(*, actor: Any) -> None:
    """Discard the steward's edits: the working copy becomes the version in force again."""
    _require_steward(actor)
    current = RuleVersion.objects.order_by("-id").first()
    if current is None:
        raise NotFound("not_found", _("No rules version to reset to."))
    _working_copy_replace(_data_from_content(current.content, check=False))
    audit_record(
        actor=actor,
        action="traderules.working_copy.reset",
        target=current,
        data={"label": current.label},
    )


# Exchange rates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FxImportResult:
    origin: str
    created: int
    updated: int
    unchanged: int
    revision: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "revision": self.revision,
        }


def _fx_bump() -> int:
    now = clock.now()
    if not FxState.objects.filter(pk=1).update(revision=F("revision") + 1, changed_at=now):
        FxState.objects.create(pk=1, revision=1, changed_at=now)
    selectors.snapshot_cache_clear()
    return int(FxState.objects.values_list("revision", flat=True).get(pk=1))


def _fx_revision() -> int:
    revision = FxState.objects.filter(pk=1).values_list("revision", flat=True).first()
    return int(revision or 0)


_MONTHS = {
    name: number
    for number, name in enumerate(
        "january february march april may june july august september october november december".split(),
        start=1,
    )
}


def _ecb_day(cell: str) -> date:
    cell = cell.strip()
    if _ISO_DATE.match(cell):
        return date.fromisoformat(cell)
    parts = cell.split()
    if len(parts) == 3 and parts[1].lower() in _MONTHS and parts[0].isdigit():
        return date(int(parts[2]), _MONTHS[parts[1].lower()], int(parts[0]))
    raise ValueError("an ECB date such as 2026-04-13 or 13 April 2026")


def _parse_ecb(text: str, file: str) -> tuple[list[dict[str, str]], list[Problem]]:
    """Both ECB shapes (the history file and the one-day file) -> rate rows."""
    problems: list[Problem] = []
    rows: list[dict[str, str]] = []
    records = [r for r in csv.reader(io.StringIO(text.removeprefix("\ufeff"))) if any(r)]
    header = [cell.strip() for cell in records[0]]
    currencies = header[1:]
    for column, currency in enumerate(currencies, start=1):
        if currency and not _CURRENCY.match(currency):
            problems.append(Problem(file, "1", currency, "not a currency code"))
        if currency == "EUR":
            problems.append(Problem(file, "1", currency, "EUR is the base of the ECB rates"))
        del column
    seen: set[tuple[str, str]] = set()
    for index, record in enumerate(records[1:]):
        number = str(index + 2)
        cells = [cell.strip() for cell in record]
        try:
            day = _ecb_day(cells[0]).isoformat()
        except ValueError as error:
            problems.append(Problem(file, number, "Date", str(error)))
            continue
        for currency, cell in zip(currencies, cells[1:], strict=False):
            if not currency or not cell or cell.upper() == "N/A":
                continue
            if _positive_decimal(cell) is None:
                problems.append(Problem(file, number, currency, f"not a positive rate: {cell!r}"))
                continue
            if (day, currency) in seen:
                problems.append(Problem(file, number, "Date", f"{day} appears twice"))
                break
            seen.add((day, currency))
            rows.append(
                {
                    "date": day,
                    "currency": currency,
                    "units_per_eur": cell,
                    "source": "S30",
                    "confidence": "high",
                    "note": "",
                }
            )
    return rows, problems


def fx_read_file(path: str | Path) -> tuple[str, list[dict[str, str]]]:
    """Read and validate a rate file: ("ecb", rows) or ("table", rows); RatesInvalid else."""
    source = Path(path)
    file = source.name
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RatesInvalid("invalid_rates", f"{source} does not exist.") from None
    except UnicodeDecodeError:
        raise RatesInvalid("invalid_rates", f"{file} is not UTF-8 text.") from None
    records = [r for r in csv.reader(io.StringIO(text.removeprefix("\ufeff"))) if any(r)]
    if not records:
        raise RatesInvalid("invalid_rates", f"{file} is empty.", fields={f"{file}:1": "empty"})
    first = records[0][0].strip()
    if first == "Date":
        rows, problems = _parse_ecb(text, file)
        _raise_problems(problems, RatesInvalid, "exchange rates")
        return "ecb", rows
    if first == "date":
        header_problems: list[Problem] = []
        raw = _read_csv(source, FX_COLUMNS, _FX_REQUIRED, header_problems)
        table_rows, row_problems = _validate_fx_rows(raw, file)
        _raise_problems(header_problems + row_problems, RatesInvalid, "exchange rates")
        return "table", table_rows
    raise RatesInvalid(
        "invalid_rates",
        f"{file} is neither an ECB rate file (Date, USD, ...) nor a rate table "
        "(date,currency,units_per_eur,source[,confidence,note]).",
        fields={f"{file}:1": "unknown header"},
    )


def _fx_upsert(rows: Sequence[Mapping[str, str]], origin: str, actor: Any) -> tuple[int, int, int]:
    """Insert or correct rates on (date, currency, origin); equal values change nothing."""
    days = {row["date"] for row in rows}
    existing = {
        (rate.date.isoformat(), rate.currency): rate
        for rate in ExchangeRate.objects.filter(origin=origin, date__in=sorted(days))
    }
    ops = connection.ops
    now = ops.adapt_datetimefield_value(clock.now())
    user = actor if getattr(actor, "is_authenticated", False) else None
    created: list[tuple[Any, ...]] = []
    updated = unchanged = 0
    for row in rows:
        value = Decimal(row["units_per_eur"])
        current = existing.get((row["date"], row["currency"]))
        if current is None:
            created.append(
                (
                    ops.adapt_datefield_value(date.fromisoformat(row["date"])),
                    row["currency"],
                    ops.adapt_decimalfield_value(value, 24, 10),
                    row["units_per_eur"],
                    row["source"],
                    row.get("confidence", ""),
                    row.get("note", ""),
                    origin,
                    user.pk if user is not None else None,
                    now,
                )
            )
            continue
        same = (
            current.units_per_eur == value
            and current.source == row["source"]
            and current.confidence == row.get("confidence", "")
            and current.note == row.get("note", "")
        )
        if same:
            unchanged += 1
            continue
        current.units_per_eur = value
        current.rate_text = row["units_per_eur"]
        current.source = row["source"]
        current.confidence = row.get("confidence", "")
        current.note = row.get("note", "")
        current.entered_by = user
        current.save()
        updated += 1
    columns = ("date", "currency", "units_per_eur", "rate_text", "source", "confidence", "note")
    _insert(ExchangeRate, (*columns, "origin", "entered_by", "created_at"), created)
    return len(created), updated, unchanged


def _fx_table_replace(rows: Sequence[Mapping[str, str]], actor: Any) -> dict[str, int]:
    """The rule-table rates become exactly ``rows`` (a rules import carries fx_rates.csv)."""
    wanted = {(row["date"], row["currency"]) for row in rows}
    stale = [
        rate.pk
        for rate in ExchangeRate.objects.filter(origin=ExchangeRate.Origin.RULE_TABLE)
        if (rate.date.isoformat(), rate.currency) not in wanted
    ]
    removed = ExchangeRate.objects.filter(pk__in=stale).delete()[0] if stale else 0
    created, updated, unchanged = _fx_upsert(rows, ExchangeRate.Origin.RULE_TABLE, actor)
    if created or updated or removed:
        _fx_bump()
    return {"created": created, "updated": updated, "unchanged": unchanged, "removed": removed}


def fx_import(path: str | Path, actor: Any = None, *, origin: str | None = None) -> FxImportResult:
    """Import an ECB rate file (either shape) or the platform's rate CSV.

    Idempotent on (date, currency, origin): importing a file twice changes nothing; a
    different value for the same key corrects it. ECB files get origin ``ecb``; a rate table
    gets ``rule_table`` unless ``origin`` says ``operator``. Nothing is written when any row
    is bad; the writes run in one transaction. ``actor`` None is the command line; a user
    must be the platform operator.
    """
    if actor is not None:
        _require_rates_actor(actor)
    shape, rows = fx_read_file(path)
    if shape == "ecb":
        chosen = ExchangeRate.Origin.ECB
    else:
        chosen = ExchangeRate.Origin(origin or ExchangeRate.Origin.RULE_TABLE)
        if chosen == ExchangeRate.Origin.ECB:
            raise RatesInvalid("invalid_rates", "Only an ECB file has origin ecb.")
    return _fx_import_write(rows, origin=chosen, actor=actor, file=Path(path).name)


@transaction.atomic
def _fx_import_write(
    rows: Sequence[Mapping[str, str]], *, origin: str, actor: Any, file: str
) -> FxImportResult:
    _lock_state()
    created, updated, unchanged = _fx_upsert(rows, origin, actor)
    revision = _fx_bump() if created or updated else _fx_revision()
    result = FxImportResult(str(origin), created, updated, unchanged, revision)
    audit_record(
        actor=actor,
        action="traderules.fx.imported",
        data={"file": file, **result.as_dict()},
    )
    return result


@transaction.atomic
def fx_rate_enter(
    actor: Any,
    date: date,
    currency: str,
    units_per_eur: str | Decimal,
    source: str,
    *,
    note: str = "",
) -> ExchangeRate:
    """An operator's rate for a currency the ECB does not publish (or a newer one)."""
    _require_rates_actor(actor)
    fields: dict[str, str] = {}
    if date > clock.today():
        fields["date"] = "A rate cannot be dated in the future."
    currency = currency.strip().upper()
    if not is_currency(currency) or currency == "EUR":
        fields["currency"] = "An ISO 4217 currency code other than EUR."
    if isinstance(units_per_eur, float):
        fields["units_per_eur"] = "A decimal string, never a float."
        text = ""
    else:
        text = units_per_eur if isinstance(units_per_eur, str) else f"{units_per_eur:f}"
        text = text.strip()
        if _positive_decimal(text) is None:
            fields["units_per_eur"] = "A positive decimal number, such as 1697.50."
    source = source.strip()
    if not source:
        fields["source"] = "Say where the rate comes from."
    elif "\n" in source or len(source) > 300:
        fields["source"] = "One line, at most 300 characters."
    if fields:
        raise RatesInvalid("invalid_rates", _("Please correct the fields shown."), fields=fields)
    _lock_state()
    rate, created = ExchangeRate.objects.update_or_create(
        date=date,
        currency=currency,
        origin=ExchangeRate.Origin.OPERATOR,
        defaults={
            "units_per_eur": Decimal(text),
            "rate_text": text,
            "source": source,
            "note": note.strip(),
            "entered_by": actor,
            "created_at": clock.now(),
        },
    )
    revision = _fx_bump()
    audit_record(
        actor=actor,
        action="traderules.fx.entered",
        target=rate,
        data={
            "date": date.isoformat(),
            "currency": currency,
            "units_per_eur": text,
            "source": source,
            "created": created,
            "revision": revision,
        },
    )
    return rate


# Reference data shipped with the product ------------------------------------------------------


def _data_dir() -> Path:
    return Path(conf.DATA_DIR())


@cache
def _shipped_content(rules_dir: str) -> tuple[dict[str, Any], tuple[dict[str, str], ...]]:
    """The shipped rules, validated once per process (seeding runs after every test flush)."""
    data = rules_read_directory(rules_dir)
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


def _insert(model: type[Any], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Plain INSERTs of many rows (values already adapted): seeding runs after every flush of
    a transactional test, so it must cost little; bulk_create spends most of its time building
    SQL."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(model._meta.get_field(column).column) for column in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


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
        content, _fx_rows = _shipped_content(rules_dir)
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
        _content, fx_rows = _shipped_content(rules_dir)
        created, _updated, _unchanged = _fx_upsert(fx_rows, ExchangeRate.Origin.RULE_TABLE, None)
        loaded["table_rates"] = created
        fx_loaded += created
    if fx_loaded:
        _fx_bump()
    else:
        FxState.objects.get_or_create(pk=1)
    if loaded:
        audit_record(actor=None, action="traderules.reference_data.loaded", data=loaded)
        selectors.snapshot_cache_clear()
        selectors.hs_index_clear()
    return loaded


def reference_data_on_migrate(using: str = "default", **_kwargs: Any) -> None:
    """post_migrate hook: seed an empty database so that quotes work after `ewtp migrate`."""
    if using != "default" or not _our_tables_exist():
        return
    reference_data_ensure()
