"""Validated rule data: the rule tables, reading a rules directory and validating every row; every
problem names the file, the row and the column.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Field

from ewtp.core.errors import DomainError
from ewtp.traderules import schedules as schedule_files
from ewtp.traderules.content import regimes_object, ruleset_from_content
from ewtp.traderules.engine import build_snapshot, cells
from ewtp.traderules.engine.snapshot import RuleFileError
from ewtp.traderules.errors import RulesInvalid
from ewtp.traderules.models import (
    AdditionalDuty,
    Confidence,
    DocumentRequirement,
    Fee,
    LowValueRegime,
    Preference,
    RuleRow,
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


# Validated rule data --------------------------------------------------------------------------


@dataclass
class RuleData:
    """Rule tables that passed validation, in the file shapes."""

    tables: dict[str, list[dict[str, str]]]
    regimes: list[tuple[str, list[dict[str, Any]]]]
    fx_rates: list[dict[str, str]] | None = None
    instances: dict[str, list[Any]] = field(default_factory=dict)
    # The schedules the tariff lines and taxes came from (manifest rows with their counts).
    schedules: list[dict[str, str]] = field(default_factory=list)
    # Ids of the sources that came with the schedules (schedules/SOURCES.csv), for the export.
    schedule_sources: list[str] = field(default_factory=list)

    def content(self) -> dict[str, Any]:
        """What a RuleVersion stores."""
        return {
            "tables": {name: list(rows) for name, rows in self.tables.items()},
            "regimes": [[territory, list(items)] for territory, items in self.regimes],
            "schedules": [dict(row) for row in self.schedules],
            "schedule_sources": list(self.schedule_sources),
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
            if column not in row and isinstance(model_field, Field):
                values[name] = model_field.get_default()  # a column older files lack
                continue
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
        problems.extend(_engine_problems(data))
    return data


def _engine_problems(data: RuleData) -> list[Problem]:
    """The engine parses every rule the way a quote will read it; what it refuses is refused."""
    try:
        build_snapshot(ruleset_from_content(data.content()))
    except RuleFileError as error:
        return [Problem(file_name(error.table), error.row, error.column, error.message)]
    except (ValueError, KeyError, TypeError) as error:
        return [_engine_problem(str(error))]
    return []


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
    source_ids = _source_ids(instances, problems)
    territory_codes, member_of = _territory_members(instances, problems)
    known = _Known(source_ids, territory_codes, member_of)
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
            problems += _row_reference_problems(file, number, table, row, known)
    return problems


def _source_ids(instances: Mapping[str, Sequence[Any]], problems: list[Problem]) -> set[str]:
    """The ids of SOURCES.csv; a duplicate is a problem."""
    source_ids: set[str] = set()
    for index, source in enumerate(instances.get("sources", ())):
        if source.code in source_ids:
            problems.append(Problem("SOURCES.csv", str(index + 2), "id", "a duplicate id"))
        source_ids.add(source.code)
    return source_ids


def _territory_members(
    instances: Mapping[str, Sequence[Any]], problems: list[Problem]
) -> tuple[set[str], dict[str, str]]:
    """The territory codes and the territory of each member country; a duplicate territory or
    a country in two territories is a problem."""
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
    return territory_codes, member_of


@dataclass(frozen=True)
class _Known:
    """What rows may refer to: source ids, territory codes and each member country's
    territory."""

    source_ids: set[str]
    territory_codes: set[str]
    member_of: Mapping[str, str]


def _row_reference_problems(
    file: str, number: str, table: str, row: Any, known: _Known
) -> list[Problem]:
    """What one row (of ``file``, numbered ``number``) refers to that does not exist."""
    problems = [
        Problem(file, number, "source", f"{source_id} is not in SOURCES.csv")
        for source_id in row.source_ids()
        if source_id not in known.source_ids
    ]
    if table == "territories":
        return problems
    if hasattr(row, "territory") and row.territory not in known.territory_codes:
        problems.append(Problem(file, number, "territory", f"{row.territory} is not a territory"))
    if hasattr(row, "country") and row.country and row.country not in known.member_of:
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


def rules_read_directory(directory: str | Path, *, schedules: bool = True) -> RuleData:
    """Read and validate a rules directory in the shipped format; RulesInvalid lists problems.

    Required: territories, tariff_lines, preferences, additional_duties, taxes, fees and
    documents (``.csv``), ``SOURCES.csv`` and ``regimes.json``. ``fx_rates.csv`` is optional,
    and so is ``schedules/`` (full tariff schedules and VAT by product, see
    ``ewtp.traderules.schedules``), read unless ``schedules`` is False.
    """
    base = Path(directory)
    problems: list[Problem] = []
    if not base.is_dir():
        raise RulesInvalid("invalid_rules", f"{base} is not a directory.")
    tables: dict[str, list[dict[str, str]]] = {}
    for table, model in CSV_MODELS.items():
        # Columns added by a later edition of the format may be absent (older files).
        required = [column for column in model.COLUMNS if column not in model.OPTIONAL_COLUMNS]
        tables[table] = _read_csv(base / file_name(table), model.COLUMNS, required, problems)
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
    found = _merge_schedules(base, tables, problems) if schedules else None
    _raise_problems(problems, RulesInvalid, "rule files")
    data = _validate(tables, regimes_raw, fx_rows, problems)
    _raise_problems(problems, RulesInvalid, "rule files")
    if found is not None:
        data.schedules = [info.summary() for info in found.schedules]
        data.schedule_sources = [row["id"] for row in found.sources]
    return data


def _merge_schedules(
    base: Path, tables: dict[str, list[dict[str, str]]], problems: list[Problem]
) -> schedule_files.Schedules | None:
    """Add the rows of ``base/schedules`` (when it has a manifest) after the curated rows.

    Returns what was read. Nothing is added while the curated files have problems (the
    schedules are checked against them).
    """
    folder = base / schedule_files.FOLDER
    if problems or not (folder / schedule_files.MANIFEST).exists():
        return None
    from ewtp.traderules.selectors.hs import hs_subheadings

    found = schedule_files.read_schedules(
        folder, schedule_files.context_of(tables, hs_subheadings())
    )
    problems.extend(Problem(i.file, i.row, i.column, i.message) for i in found.issues)
    tables["tariff_lines"].extend(found.tariff_lines)
    tables["taxes"].extend(found.taxes)
    tables["sources"].extend(found.sources)
    return found


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
    data.schedules = [dict(row) for row in content.get("schedules", ())]
    data.schedule_sources = [str(item) for item in content.get("schedule_sources", ())]
    return data
