"""Exchange rates: ECB files, rate imports and the operator's manual rate."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ewtp.core import clock
from ewtp.core.currencies import is_currency
from ewtp.core.services import audit_record
from ewtp.traderules.errors import RatesInvalid
from ewtp.traderules.models import ExchangeRate, FxState
from ewtp.traderules.selectors.snapshot import snapshot_cache_clear
from ewtp.traderules.services.permissions import _require_rates_actor
from ewtp.traderules.services.validation import (
    _CURRENCY,
    _FX_REQUIRED,
    _ISO_DATE,
    FX_COLUMNS,
    Problem,
    _positive_decimal,
    _raise_problems,
    _read_csv,
    _validate_fx_rows,
)

# Exchange rates -------------------------------------------------------------------------------


def _lock_state() -> FxState:
    """Lock the one state row: publishing, importing and FX writes take their turn."""
    FxState.objects.get_or_create(pk=1)
    return FxState.objects.select_for_update().get(pk=1)


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
    snapshot_cache_clear()
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
