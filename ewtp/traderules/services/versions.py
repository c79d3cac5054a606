"""Rule versions: import and export of a rules directory, the changes between two versions."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction

from ewtp.core import clock
from ewtp.core.errors import NotFound
from ewtp.core.services import audit_record
from ewtp.traderules.content import regimes_object
from ewtp.traderules.engine import cells
from ewtp.traderules.models import ExchangeRate, RuleVersion
from ewtp.traderules.schedules import FOLDER, split_for_export
from ewtp.traderules.selectors.snapshot import snapshot_cache_clear
from ewtp.traderules.services.fx import _fx_table_replace, _lock_state
from ewtp.traderules.services.permissions import _require_steward
from ewtp.traderules.services.validation import (
    _ITEMS_PER_TABLE,
    CSV_MODELS,
    EDITABLE_MODELS,
    FX_COLUMNS,
    RuleData,
    file_name,
    rules_read_directory,
)

# Versions -------------------------------------------------------------------------------------


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
    """Rows added, removed and changed per table, with the first changed rows of each.

    Tariff lines of a national schedule are also counted per schedule, under the key
    ``schedule <id>`` (what a steward reads when a schedule is updated).
    """
    summary: dict[str, Any] = {}
    for table in EDITABLE_MODELS:
        before = _table_rows(old, table) if old is not None else []
        after = _table_rows(new, table)
        found = _rows_changes(table, before, after)
        if found:
            summary[table] = found
        if table == "tariff_lines":
            for schedule in sorted({row.get("schedule") or "" for row in [*before, *after]}):
                if not schedule:
                    continue
                found = _rows_changes(
                    table,
                    [row for row in before if row.get("schedule") == schedule],
                    [row for row in after if row.get("schedule") == schedule],
                )
                if found:
                    summary[f"schedule {schedule}"] = found
    return summary


def _rows_changes(
    table: str, before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]
) -> dict[str, Any] | None:
    old_by_key: dict[str, list[dict[str, Any]]] = {}
    for row in before:
        old_by_key.setdefault(_key(table, row), []).append(row)
    added = removed = changed = 0
    items: list[dict[str, Any]] = []
    # Examples of each kind of change, so that many additions do not hide the rest.
    each = _ITEMS_PER_TABLE // 3
    for row in after:
        key = _key(table, row)
        candidates = old_by_key.get(key)
        if not candidates:
            added += 1
            if added <= each:
                items.append({"change": "added", "key": key})
            continue
        if row in candidates:
            candidates.remove(row)
            continue
        previous = candidates.pop(0)
        changed += 1
        if changed <= each:
            fields = {
                column: [_cell(previous.get(column)), _cell(row.get(column))]
                for column in sorted(set(previous) | set(row), key=_column_rank(table))
                if previous.get(column) != row.get(column)
            }
            items.append({"change": "changed", "key": key, "fields": fields})
    for key, rows in old_by_key.items():
        for _row in rows:
            removed += 1
            if removed <= each:
                items.append({"change": "removed", "key": key})
    if not (added or removed or changed):
        return None
    return {"added": added, "removed": removed, "changed": changed, "rows": items}


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


def rules_import_check(directory: str | Path, actor: Any = None) -> dict[str, Any]:
    """What importing ``directory`` would change (every file validated; nothing written):
    ``{"based_on", "changes", "schedules"}``."""
    if actor is not None:
        _require_steward(actor)
    data = rules_read_directory(directory)
    current = RuleVersion.objects.order_by("-id").values_list("label", "content").first()
    return {
        "based_on": current[0] if current else None,
        "changes": changes_between(current[1] if current else None, data.content()),
        "schedules": data.schedules,
    }


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
    snapshot_cache_clear()
    return version


def rules_export(directory: str | Path, version: str | None = None) -> list[Path]:
    """Write a version (default: the one in force) in the shipped file format.

    The CSV files, ``SOURCES.csv`` and ``regimes.json`` come from the version (the lines of
    national schedules and their sources go back to ``schedules/``, with its manifest);
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
    tables, schedule_files = split_for_export(chosen.content)
    for name, (columns, rows) in schedule_files.items():
        path = base / FOLDER / name
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_csv(path, columns, rows)
        written.append(path)
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
