"""Row changes of a proposal: the diff of two rule contents, applying it, and the adopted form.

Pure Python (no Django). A content is what a rules version stores: ``{"tables": {name: [row]},
"regimes": [[territory, [regime]]]}``; every row of a table is a dict of strings, a regime a
JSON object. A change is a dict ``{"table", "op", "key", "before", "after"}`` with ``op`` one of
``add`` (``before`` None), ``replace`` and ``retire`` (``after`` None). Regimes are handled as
rows of a table ``regimes`` carrying their ``territory``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

ADD, REPLACE, RETIRE = "add", "replace", "retire"
OPS = (ADD, REPLACE, RETIRE)
# Tables whose rows carry valid_from / valid_to (the adopted version closes and opens rows).
DATED = frozenset({"tariff_lines", "preferences", "additional_duties", "taxes", "fees", "regimes"})

Change = dict[str, Any]
Row = dict[str, Any]


def key_of(keys: Mapping[str, Sequence[str]], table: str, row: Mapping[str, Any]) -> str:
    return " ".join(str(row.get(column, "")) or "-" for column in keys[table])


def table_rows(content: Mapping[str, Any], table: str) -> list[Row]:
    if table == "regimes":
        return [
            {"territory": str(territory), **item}
            for territory, items in content.get("regimes", ())
            for item in items
        ]
    return [dict(row) for row in content.get("tables", {}).get(table, ())]


def diff(
    base: Mapping[str, Any], new: Mapping[str, Any], keys: Mapping[str, Sequence[str]]
) -> list[Change]:
    """The row changes that turn ``base`` into ``new``, table by table in ``keys`` order."""
    changes: list[Change] = []
    for table in keys:
        by_key: dict[str, list[Row]] = {}
        for row in table_rows(base, table):
            by_key.setdefault(key_of(keys, table, row), []).append(row)
        for row in table_rows(new, table):
            key = key_of(keys, table, row)
            candidates = by_key.get(key)
            if not candidates:
                changes.append(_change(table, ADD, key, None, row))
            elif row in candidates:
                candidates.remove(row)
            else:
                changes.append(_change(table, REPLACE, key, candidates.pop(0), row))
        for key, rows in by_key.items():
            changes.extend(_change(table, RETIRE, key, row, None) for row in rows)
    return changes


def _change(table: str, op: str, key: str, before: Row | None, after: Row | None) -> Change:
    return {"table": table, "op": op, "key": key, "before": before, "after": after}


def _split(content: Mapping[str, Any]) -> tuple[dict[str, list[Row]], list[tuple[str, list[Row]]]]:
    tables = {name: [dict(row) for row in rows] for name, rows in content.get("tables", {}).items()}
    regimes = [(str(t), [copy.deepcopy(item) for item in items]) for t, items in content["regimes"]]
    return tables, regimes


def _regime_item(row: Mapping[str, Any]) -> Row:
    return {name: copy.deepcopy(value) for name, value in row.items() if name != "territory"}


class _Target:
    """One table of a content being changed, with the regimes' per-territory lists."""

    def __init__(self, tables: dict[str, list[Row]], regimes: list[tuple[str, list[Row]]]):
        self.tables = tables
        self.regimes = regimes

    def _list(self, table: str, row: Mapping[str, Any]) -> list[Row]:
        if table != "regimes":
            return self.tables.setdefault(table, [])
        territory = str(row.get("territory", ""))
        for name, items in self.regimes:
            if name == territory:
                return items
        self.regimes.append((territory, []))
        return self.regimes[-1][1]

    def _stored(self, table: str, row: Mapping[str, Any]) -> Row:
        return _regime_item(row) if table == "regimes" else dict(row)

    def find(self, table: str, row: Mapping[str, Any]) -> int:
        rows = self._list(table, row)
        wanted = self._stored(table, row)
        return next((i for i, item in enumerate(rows) if item == wanted), -1)

    def has_key(self, keys: Mapping[str, Sequence[str]], table: str, row: Row) -> bool:
        key = key_of(keys, table, row)
        territory = {"territory": row.get("territory", "")} if table == "regimes" else {}
        return any(
            key_of(keys, table, {**territory, **item}) == key for item in self._list(table, row)
        )

    def put(self, table: str, rows_in: Sequence[Row], at: int | None, like: Row) -> None:
        rows = self._list(table, like)
        stored = [self._stored(table, row) for row in rows_in]
        if at is None:
            rows.extend(stored)
        else:
            rows[at : at + 1] = stored


def conflicts(
    base: Mapping[str, Any], changes: Sequence[Change], keys: Mapping[str, Sequence[str]]
) -> list[dict[str, Any]]:
    """The changes that no longer fit ``base``: each with its index, table, key and reason."""
    return apply(base, changes, keys)[1]


def apply(
    base: Mapping[str, Any],
    changes: Sequence[Change],
    keys: Mapping[str, Sequence[str]],
    *,
    effective: date | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``base`` with ``changes`` applied (a new content) and the conflicts found.

    Without ``effective`` a changed row replaces the old one outright (the rules "as if the
    proposal had been in force"); with it, dated rows are split: the old row is closed the day
    before ``effective`` and the new one starts on it (the adopted version).
    """
    target = _Target(*_split(base))
    problems: list[dict[str, Any]] = []
    for index, change in enumerate(changes):
        table, op = change["table"], change["op"]
        before: Row = change.get("before") or {}
        after: Row | None = change.get("after")
        if op == ADD:
            after = after or {}
            if target.has_key(keys, table, after):
                problems.append(_conflict(index, change, "a row with this key already exists"))
                continue
            target.put(table, [_dated(table, after, effective)], None, after)
            continue
        at = target.find(table, before)
        if at < 0:
            reason = (
                "the row changed in the base since the proposal was drafted"
                if target.has_key(keys, table, before)
                else "the row is no longer in the base (retired or replaced)"
            )
            problems.append(_conflict(index, change, reason))
            continue
        target.put(table, _replacement(table, before, after, effective), at, before)
    content = {
        **{key: value for key, value in base.items() if key not in ("tables", "regimes")},
        "tables": target.tables,
        "regimes": [[territory, items] for territory, items in target.regimes],
    }
    return content, problems


def _conflict(index: int, change: Change, reason: str) -> dict[str, Any]:
    return {"change": index, "table": change["table"], "key": change["key"], "reason": reason}


def _dated(table: str, row: Row, effective: date | None) -> Row:
    if effective is None or table not in DATED:
        return dict(row)
    start = str(row.get("valid_from") or "")
    if not start or start < effective.isoformat():
        return {**row, "valid_from": effective.isoformat()}
    return dict(row)


def _replacement(table: str, before: Row, after: Row | None, effective: date | None) -> list[Row]:
    """What takes the old row's place: the new row, and under a split the closed old one."""
    if effective is None or table not in DATED:
        return [] if after is None else [dict(after)]
    start = str(before.get("valid_from") or "")
    kept: list[Row] = []
    if not start or start < effective.isoformat():
        end = (effective - timedelta(days=1)).isoformat()
        old_end = str(before.get("valid_to") or "")
        kept.append({**before, "valid_to": old_end if old_end and old_end < end else end})
    if after is not None:
        kept.append(_dated(table, after, effective))
    return kept


def fields_changed(change: Change) -> list[tuple[str, Any, Any]]:
    """(column, old, new) of a replace, in the row's column order."""
    before, after = change.get("before") or {}, change.get("after") or {}
    columns = list(before) + [column for column in after if column not in before]
    return [
        (column, before.get(column), after.get(column))
        for column in columns
        if before.get(column) != after.get(column)
    ]
