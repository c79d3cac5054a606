"""Full tariff schedules and VAT by product: reading, checking and merging them with the curated
rules (pure functions over files and rows; no database).

A rules directory may hold ``schedules/schedules.csv``, a manifest of schedule files (national
tariff lines of a territory, or VAT rows by product) with ``schedules/SOURCES.csv``; see
``data/rules/schedules/README.md`` for the formats. Every problem names the file, the row (the
record number, the header being 1) and the column. The curated rows win: a schedule line whose
code equals or lies under a curated tariff line of its territory is not used, nor a VAT row whose
prefix equals or lies under a curated tax row (other than ``*``) of its country and kind.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path
from typing import Any

from ewtp.core.currencies import is_currency
from ewtp.traderules.engine.cells import restore as restore_cell
from ewtp.traderules.engine.snapshot import SPECIFIC_UNITS

MANIFEST = "schedules.csv"
SOURCES = "SOURCES.csv"
FOLDER = "schedules"
MANIFEST_COLUMNS = ("schedule", "territory", "kind", "file", "schedule_date", "name")
TARIFF_COLUMNS = (
    "code",
    "description",
    "duty",
    "not_computable",
    "published",
    "valid_from",
    "valid_to",
    "source",
    "confidence",
)
VAT_COLUMNS = (
    "country",
    "kind",
    "hs_prefix",
    "rate",
    "rate_kind",
    "category",
    "valid_from",
    "valid_to",
    "source",
    "confidence",
)
SOURCE_COLUMNS = ("id", "what", "where")
UNITS = tuple(SPECIFIC_UNITS)
RATE_KINDS = ("standard", "reduced", "super_reduced", "zero", "exempt")
CONFIDENCES = ("high", "medium", "low")
TAX_KINDS = ("vat", "gst", "sales_tax", "consumption")

_NUMBER = r"\d+(?:\.\d+)?"
_AD_VALOREM = re.compile(rf"^({_NUMBER})%$")
_SPECIFIC = re.compile(rf"^({_NUMBER}) ([A-Za-z]{{3}})/(\S+)$")
_IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_SOURCE_IDS = re.compile(r"^[A-Za-z0-9_-]+(;[A-Za-z0-9_-]+)*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Issue:
    """One problem of a schedule file: file (relative to the rules directory), row, column."""

    file: str
    row: str
    column: str
    message: str


@dataclass(frozen=True)
class Duty:
    ad_valorem: str = ""
    specific_amount: str = ""
    specific_currency: str = ""
    specific_per: str = ""


class DutyError(ValueError):
    pass


def parse_duty(text: str) -> Duty:
    """``free``, ``7.5%``, ``0.019 USD/kg`` or an ad valorem and a specific part joined by
    `` + ``. Raises DutyError naming what is wrong."""
    text = text.strip()
    if text == "free":
        return Duty(ad_valorem="0")
    ad_valorem = amount = currency = per = ""
    for part in text.split(" + "):
        part = part.strip()
        matched = _AD_VALOREM.match(part)
        if matched:
            if ad_valorem:
                raise DutyError(f"two ad valorem parts in {text!r}")
            ad_valorem = _fraction(matched.group(1))
            continue
        matched = _SPECIFIC.match(part)
        if not matched:
            raise DutyError(
                f"malformed duty expression {text!r} (use free, 7.5%, 0.019 USD/kg or both "
                "parts joined by ' + ')"
            )
        if amount:
            raise DutyError(f"two specific parts in {text!r}")
        amount, currency, per = matched.groups()
        if not is_currency(currency):
            raise DutyError(f"unknown currency {currency!r}")
        if per not in UNITS:
            raise DutyError(f"unknown unit {per!r} (use {', '.join(UNITS)})")
    return Duty(ad_valorem, amount, currency, per)


def _fraction(percent: str) -> str:
    value = (Decimal(percent) / 100).normalize()
    return format(value, "f")


@dataclass
class ScheduleInfo:
    schedule: str
    territory: str
    kind: str
    file: str
    schedule_date: str
    name: str
    lines: int = 0  # rows read
    used: int = 0  # rows kept after the curated rows won
    not_computable: int = 0
    # (code, valid_from) -> the row of the file, for problems found after reading.
    rows: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)

    def summary(self) -> dict[str, str]:
        """The manifest row with the counts, as a rules version keeps it."""
        return {
            "schedule": self.schedule,
            "territory": self.territory,
            "kind": self.kind,
            "file": self.file,
            "schedule_date": self.schedule_date,
            "name": self.name,
            "lines": str(self.lines),
            "used": str(self.used),
            "not_computable": str(self.not_computable),
        }


@dataclass
class Schedules:
    """What a rules directory's schedules add: rows in the shapes of the rule tables."""

    schedules: list[ScheduleInfo] = field(default_factory=list)
    tariff_lines: list[dict[str, str]] = field(default_factory=list)
    taxes: list[dict[str, str]] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What the rows are checked against."""

    subheadings: frozenset[str]
    territories: frozenset[str]
    countries: frozenset[str]
    source_ids: frozenset[str]
    curated_codes: Mapping[str, frozenset[str]]  # territory -> tariff codes
    curated_prefixes: Mapping[tuple[str, str], frozenset[str]]  # (country, kind) -> prefixes


def context_of(
    tables: Mapping[str, Sequence[Mapping[str, str]]], subheadings: Iterable[str]
) -> Context:
    territories = tables.get("territories", ())
    codes: dict[str, set[str]] = {}
    for row in tables.get("tariff_lines", ()):
        if not row.get("schedule"):
            codes.setdefault(row.get("territory", ""), set()).add(row.get("code", ""))
    prefixes: dict[tuple[str, str], set[str]] = {}
    for row in tables.get("taxes", ()):
        prefix = row.get("hs_prefix", "")
        if prefix and prefix != "*":
            prefixes.setdefault((row.get("country", ""), row.get("kind", "")), set()).add(prefix)
    return Context(
        subheadings=frozenset(subheadings),
        territories=frozenset(row.get("territory", "") for row in territories),
        countries=frozenset(
            country for row in territories for country in row.get("members", "").split()
        ),
        source_ids=frozenset(row.get("id", "") for row in tables.get("sources", ())),
        curated_codes={key: frozenset(value) for key, value in codes.items()},
        curated_prefixes={key: frozenset(value) for key, value in prefixes.items()},
    )


def _covered(code: str, curated: frozenset[str]) -> bool:
    """``code`` equals or lies under one of ``curated``."""
    return any(code[:length] in curated for length in range(2, len(code) + 1))


# Reading files ---------------------------------------------------------------------------------


def read_csv(
    path: Path, name: str, columns: Sequence[str], issues: list[Issue]
) -> list[tuple[int, dict[str, str]]]:
    """(record number, row) pairs; a missing, unreadable or misshapen file is an issue."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        issues.append(Issue(name, "-", "", "the file is missing"))
        return []
    except UnicodeDecodeError:
        issues.append(Issue(name, "-", "", "the file is not UTF-8 text"))
        return []
    return parse_csv(text, name, columns, issues)


def parse_csv(
    text: str, name: str, columns: Sequence[str], issues: list[Issue]
) -> list[tuple[int, dict[str, str]]]:
    try:
        records = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    except csv.Error as error:
        issues.append(Issue(name, "-", "", f"not a CSV file: {error}"))
        return []
    if not records:
        issues.append(Issue(name, "1", "", "the file is empty (a header row is required)"))
        return []
    header = records[0]
    missing = [column for column in columns if column not in header]
    unknown = [column for column in header if column not in columns]
    for column in missing:
        issues.append(Issue(name, "1", column, "this column is missing"))
    for column in unknown:
        issues.append(Issue(name, "1", column, "an unknown column"))
    if missing or unknown:
        return []
    rows: list[tuple[int, dict[str, str]]] = []
    for index, record in enumerate(records[1:], start=2):
        if len(record) != len(header):
            cells = f"{len(record)} cells where the header has {len(header)}"
            issues.append(Issue(name, str(index), "", cells))
            continue
        # A cell neutralised on export (a leading apostrophe before =, +, -, @) is restored.
        rows.append((index, dict(zip(header, map(restore_cell, record), strict=True))))
    return rows


def _day(text: str) -> date | None:
    if not _ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _dates(
    row: Mapping[str, str], where: tuple[str, str], issues: list[Issue]
) -> tuple[date | None, date | None]:
    start = _day(row["valid_from"])
    if start is None:
        issues.append(Issue(*where, "valid_from", "a date (YYYY-MM-DD) is required"))
    end: date | None = None
    if row["valid_to"]:
        end = _day(row["valid_to"])
        if end is None:
            issues.append(Issue(*where, "valid_to", "a date (YYYY-MM-DD) or empty"))
        elif start is not None and end < start:
            issues.append(Issue(*where, "valid_to", "the end date is before the start date"))
    return start, end


def _common(
    row: Mapping[str, str], where: tuple[str, str], context: Context, issues: list[Issue]
) -> None:
    source = row["source"]
    if not _SOURCE_IDS.match(source):
        issues.append(Issue(*where, "source", "source ids joined by semicolons, such as TAR-EU"))
    else:
        for source_id in source.split(";"):
            if source_id not in context.source_ids:
                issues.append(Issue(*where, "source", f"{source_id} is not a known source"))
    if row["confidence"] not in CONFIDENCES:
        issues.append(Issue(*where, "confidence", "high, medium or low"))


def _hs_code(code: str, context: Context, *, prefix: bool) -> str:
    """An error message, or "" when ``code`` is an HS 2022 code (or prefix of one)."""
    if prefix and not (code.isdigit() and 2 <= len(code) <= 10):
        return "a prefix of 2 to 10 digits"
    if not prefix and not (code.isdigit() and len(code) in (6, 8, 10)):
        return "a code of 6, 8 or 10 digits"
    if len(code) >= 6:
        if code[:6] not in context.subheadings:
            return f"{code[:6]} is not an HS 2022 subheading"
    elif not any(sub.startswith(code) for sub in context.subheadings):
        return f"{code} is not an HS 2022 chapter or heading"
    return ""


def _tariff_row(
    info: ScheduleInfo,
    where: tuple[str, str],
    row: Mapping[str, str],
    context: Context,
    issues: list[Issue],
) -> tuple[dict[str, str], date | None, date | None]:
    problem = _hs_code(row["code"], context, prefix=False)
    if problem:
        issues.append(Issue(*where, "code", problem))
    duty = Duty()
    reason = row["not_computable"].strip()
    if row["duty"] and reason:
        issues.append(Issue(*where, "not_computable", "give a duty or a reason, not both"))
    elif row["duty"]:
        try:
            duty = parse_duty(row["duty"])
        except DutyError as error:
            issues.append(Issue(*where, "duty", str(error)))
    elif not reason:
        issues.append(Issue(*where, "duty", "a duty, or in not_computable why there is none"))
    if len(row["description"]) > 300 or "\n" in row["description"]:
        issues.append(Issue(*where, "description", "one line of at most 300 characters"))
    _common(row, where, context, issues)
    start, end = _dates(row, where, issues)
    out = {
        "territory": info.territory,
        "code": row["code"],
        "description": row["description"],
        "mfn_ad_valorem": duty.ad_valorem,
        "mfn_specific_amount": duty.specific_amount,
        "mfn_specific_currency": duty.specific_currency,
        "mfn_specific_per": duty.specific_per,
        "valid_from": row["valid_from"],
        "valid_to": row["valid_to"],
        "source": row["source"],
        "confidence": row["confidence"],
        "schedule": info.schedule,
        "computable": "false" if reason else "true",
        "not_computable_reason": reason,
    }
    return out, start, end


def _overlaps(
    spans: Mapping[str, list[tuple[date, date, int]]], file: str, column: str
) -> list[Issue]:
    issues: list[Issue] = []
    for key, items in spans.items():
        items.sort()
        for (_start, end, number), (start, _end, later) in pairwise(items):
            if start <= end:
                issues.append(
                    Issue(
                        file,
                        str(later),
                        "valid_from",
                        f"{key} overlaps the dates of row {number}",
                    )
                )
    return issues


def read_tariff_file(
    base: Path, info: ScheduleInfo, context: Context, issues: list[Issue]
) -> list[dict[str, str]]:
    if info.territory not in context.territories:
        return []
    rows = read_csv(base / info.file, info.file, TARIFF_COLUMNS, issues)
    return tariff_lines_of(rows, info, context, issues)


def tariff_lines_of(
    rows: Iterable[tuple[int, dict[str, str]]],
    info: ScheduleInfo,
    context: Context,
    issues: list[Issue],
    file: str = "",
) -> list[dict[str, str]]:
    """The tariff-line rows of a schedule file's rows (the curated lines winning); problems
    name ``file`` (default: the schedule's file)."""
    file = file or info.file
    curated = context.curated_codes.get(info.territory, frozenset())
    spans: dict[str, list[tuple[date, date, int]]] = {}
    out: list[dict[str, str]] = []
    for number, row in rows:
        line, start, end = _tariff_row(info, (file, str(number)), row, context, issues)
        info.lines += 1
        info.rows[(row["code"], row["valid_from"])] = number
        if start is not None:
            spans.setdefault(row["code"], []).append((start, end or date.max, number))
        if _covered(row["code"], curated):
            continue
        info.used += 1
        info.not_computable += line["computable"] == "false"
        out.append(line)
    issues.extend(_overlaps(spans, file, "valid_from"))
    return out


def _span(row: Mapping[str, str]) -> tuple[str, str]:
    return row.get("valid_from", ""), row.get("valid_to", "") or "9999-12-31"


def cross_overlaps(
    lines: Sequence[Mapping[str, str]],
    info: ScheduleInfo,
    file: str,
    others: Iterable[Mapping[str, str]],
) -> list[Issue]:
    """Lines of one schedule whose code is also in another schedule of the territory on a
    day both are valid (the engine could not tell which applies)."""
    held: dict[str, list[Mapping[str, str]]] = {}
    for row in others:
        schedule = row.get("schedule")
        if schedule and schedule != info.schedule and row.get("territory") == info.territory:
            held.setdefault(row["code"], []).append(row)
    issues: list[Issue] = []
    for line in lines:
        start, end = _span(line)
        for other in held.get(line["code"], ()):
            other_start, other_end = _span(other)
            if start <= other_end and other_start <= end:
                number = info.rows.get((line["code"], line["valid_from"]), 0)
                issues.append(
                    Issue(
                        file,
                        str(number or "-"),
                        "valid_from",
                        f"{line['code']} overlaps the dates of its line in schedule "
                        f"{other['schedule']}",
                    )
                )
                break
    return issues


def _vat_row(
    info: ScheduleInfo, number: int, row: Mapping[str, str], context: Context, issues: list[Issue]
) -> tuple[date | None, date | None]:
    where = (info.file, str(number))
    if row["country"] not in context.countries:
        issues.append(Issue(*where, "country", f"{row['country']} is a member of no territory"))
    if row["kind"] not in TAX_KINDS:
        issues.append(Issue(*where, "kind", f"one of {', '.join(TAX_KINDS)}"))
    problem = _hs_code(row["hs_prefix"], context, prefix=True)
    if problem:
        issues.append(Issue(*where, "hs_prefix", problem))
    try:
        rate = Decimal(row["rate"])
    except InvalidOperation:
        rate = Decimal(-1)
    if not re.match(rf"^{_NUMBER}$", row["rate"]) or rate >= 1:
        issues.append(Issue(*where, "rate", "a decimal fraction below 1, such as 0.055"))
    if row["rate_kind"] not in RATE_KINDS:
        issues.append(Issue(*where, "rate_kind", f"one of {', '.join(RATE_KINDS)}"))
    elif row["rate_kind"] in ("reduced", "super_reduced") and not row["category"].strip():
        issues.append(Issue(*where, "category", "a reduced rate names the law's category"))
    _common(row, where, context, issues)
    return _dates(row, where, issues)


def read_vat_file(
    base: Path, info: ScheduleInfo, context: Context, issues: list[Issue]
) -> list[dict[str, str]]:
    spans: dict[str, list[tuple[date, date, int]]] = {}
    out: list[dict[str, str]] = []
    for number, row in read_csv(base / info.file, info.file, VAT_COLUMNS, issues):
        start, end = _vat_row(info, number, row, context, issues)
        info.lines += 1
        key = f"{row['country']} {row['kind']} {row['hs_prefix']}"
        if start is not None:
            spans.setdefault(key, []).append((start, end or date.max, number))
        curated = context.curated_prefixes.get((row["country"], row["kind"]), frozenset())
        if _covered(row["hs_prefix"], curated):
            continue
        info.used += 1
        out.append({column: row[column] for column in VAT_COLUMNS})
    issues.extend(_overlaps(spans, info.file, "valid_from"))
    return out


def _manifest(base: Path, context: Context, issues: list[Issue]) -> list[ScheduleInfo]:
    infos: list[ScheduleInfo] = []
    seen: set[str] = set()
    for number, row in read_csv(base / MANIFEST, MANIFEST, MANIFEST_COLUMNS, issues):
        where = (MANIFEST, str(number))
        if not _IDENTIFIER.match(row["schedule"]) or row["schedule"] in seen:
            issues.append(Issue(*where, "schedule", "a new id of lower-case letters and digits"))
        seen.add(row["schedule"])
        if row["kind"] not in ("tariff", "vat"):
            issues.append(Issue(*where, "kind", "tariff or vat"))
        elif row["kind"] == "tariff" and row["territory"] not in context.territories:
            issues.append(Issue(*where, "territory", f"{row['territory']} is not a territory"))
        if _day(row["schedule_date"]) is None:
            issues.append(Issue(*where, "schedule_date", "a date (YYYY-MM-DD) is required"))
        file = row["file"]
        if not file or file.startswith(("/", "\\")) or ".." in Path(file).parts:
            issues.append(Issue(*where, "file", "a path inside the schedules folder"))
            continue
        infos.append(
            ScheduleInfo(
                schedule=row["schedule"],
                territory=row["territory"],
                kind=row["kind"],
                file=file,
                schedule_date=row["schedule_date"],
                name=row["name"],
            )
        )
    return infos


def read_schedules(base: Path, context: Context) -> Schedules:
    """Read ``base`` (a rules directory's ``schedules`` folder) against ``context``.

    The sources of ``SOURCES.csv`` join ``context``'s for the checks. File names in the issues
    are relative to the rules directory (``schedules/eu/cet-2020.csv``).
    """
    result = Schedules()
    issues: list[Issue] = []
    sources = read_csv(base / SOURCES, SOURCES, SOURCE_COLUMNS, issues)
    for number, row in sources:
        if not _SOURCE_IDS.match(row["id"]) or row["id"] in context.source_ids:
            issues.append(Issue(SOURCES, str(number), "id", "a source id not used in SOURCES.csv"))
        result.sources.append(dict(row))
    context = Context(
        subheadings=context.subheadings,
        territories=context.territories,
        countries=context.countries,
        source_ids=context.source_ids | {row["id"] for _n, row in sources},
        curated_codes=context.curated_codes,
        curated_prefixes=context.curated_prefixes,
    )
    for info in _manifest(base, context, issues):
        result.schedules.append(info)
        if info.kind == "tariff":
            lines = read_tariff_file(base, info, context, issues)
            issues.extend(cross_overlaps(lines, info, info.file, result.tariff_lines))
            result.tariff_lines.extend(lines)
        elif info.kind == "vat":
            result.taxes.extend(read_vat_file(base, info, context, issues))
    result.issues = [
        Issue(f"{FOLDER}/{issue.file}", issue.row, issue.column, issue.message) for issue in issues
    ]
    return result


# Export: a version's content back into the curated files and the schedule files --------------


def duty_text(row: Mapping[str, str]) -> str:
    """The duty expression of a tariff-line row (the inverse of ``parse_duty``)."""
    parts: list[str] = []
    ad_valorem = row.get("mfn_ad_valorem", "")
    amount = row.get("mfn_specific_amount", "")
    if ad_valorem and not amount and Decimal(ad_valorem) == 0:
        return "free"
    if ad_valorem:
        parts.append(f"{format((Decimal(ad_valorem) * 100).normalize(), 'f')}%")
    if amount:
        parts.append(f"{amount} {row['mfn_specific_currency']}/{row['mfn_specific_per']}")
    return " + ".join(parts)


def _schedule_row(row: Mapping[str, str]) -> dict[str, str]:
    computable = row.get("computable", "true") != "false"
    return {
        "code": row["code"],
        "description": row.get("description", ""),
        "duty": duty_text(row) if computable else "",
        "not_computable": "" if computable else row.get("not_computable_reason", ""),
        "published": "",
        "valid_from": row.get("valid_from", ""),
        "valid_to": row.get("valid_to", ""),
        "source": row.get("source", ""),
        "confidence": row.get("confidence", ""),
    }


ExportFiles = dict[str, tuple[Sequence[str], list[dict[str, str]]]]


def split_for_export(
    content: Mapping[str, Any],
) -> tuple[dict[str, list[dict[str, str]]], ExportFiles]:
    """The curated tables and the files of ``schedules/`` (path -> columns, rows) that give
    ``content`` back on import."""
    tables = {name: list(rows) for name, rows in (content.get("tables") or {}).items()}
    manifest = [dict(row) for row in content.get("schedules") or ()]
    if not manifest:
        return tables, {}
    own_sources = set(content.get("schedule_sources") or ())
    files: ExportFiles = {MANIFEST: (MANIFEST_COLUMNS, manifest)}
    ids = {row["schedule"] for row in manifest if row.get("kind") == "tariff"}
    lines = tables.get("tariff_lines", [])
    for row in manifest:
        if row.get("kind") == "tariff":
            rows = [
                _schedule_row(line) for line in lines if line.get("schedule") == row["schedule"]
            ]
            files[row["file"]] = (TARIFF_COLUMNS, rows)
    tables["tariff_lines"] = [line for line in lines if line.get("schedule") not in ids]
    vat = next((row for row in manifest if row.get("kind") == "vat"), None)
    if vat is not None:
        taxes = tables.get("taxes", [])
        mine = [
            row
            for row in taxes
            if own_sources and set(row.get("source", "").split(";")) <= own_sources
        ]
        files[vat["file"]] = (
            VAT_COLUMNS,
            [{c: row.get(c, "") for c in VAT_COLUMNS} for row in mine],
        )
        tables["taxes"] = [row for row in taxes if row not in mine]
    sources = tables.get("sources", [])
    files[SOURCES] = (SOURCE_COLUMNS, [row for row in sources if row.get("id") in own_sources])
    tables["sources"] = [row for row in sources if row.get("id") not in own_sources]
    for row in manifest:
        for key in ("lines", "used", "not_computable"):
            row.pop(key, None)
    return tables, files
