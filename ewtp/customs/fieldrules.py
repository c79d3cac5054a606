"""Field rules of a declaration data set: required fields, formats, code lists, and the checks
that need several fields. ``check`` names every field at fault by its path
(``items.0.hs_code``), so a page or the API can show the error next to it.

Pure: no Django, no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ewtp.core.countries import is_country
from ewtp.core.currencies import is_currency

Errors = dict[str, str]


@dataclass(frozen=True)
class Field:
    """One field: its path (``[]`` for every element of a list), and what it must be.

    kind: ``text``, ``decimal``, ``integer``, ``country`` (ISO 3166 alpha-2), ``currency``
    (ISO 4217), ``date`` (YYYY-MM-DD) or ``list`` (``min_items`` elements at least).
    """

    path: str
    required: bool = True
    kind: str = "text"
    pattern: str | None = None
    codes: tuple[str, ...] | None = None
    max_length: int | None = None
    min_items: int = 1
    positive: bool = False
    expect: str = ""  # what a right value looks like, for people


def _resolve(data: Any, segments: Sequence[str], prefix: str) -> Iterator[tuple[str, Any]]:
    """Every (concrete path, value) the pattern names; a missing branch gives (path, None)."""
    if not segments:
        yield prefix, data
        return
    head, rest = segments[0], segments[1:]
    is_each = head.endswith("[]")
    key = head[:-2] if is_each else head
    path = f"{prefix}.{key}" if prefix else key
    value = data.get(key) if isinstance(data, dict) else None
    if not is_each:
        yield from _resolve(value, rest, path)
        return
    if not isinstance(value, list):
        return  # the list's own rule reports it missing
    for index, element in enumerate(value):
        yield from _resolve(element, rest, f"{path}.{index}")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _decimal_problem(rule: Field, value: Any, text: str) -> str | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return "a decimal number"
    if isinstance(value, float) or not number.is_finite():
        return "a decimal number written as a string"
    if number < 0 or (rule.positive and number == 0):
        return "more than 0" if rule.positive else "0 or more"
    return None


def _integer_problem(rule: Field, value: Any, text: str) -> str | None:
    if not re.fullmatch(r"\d+", text) or (rule.positive and int(text) == 0):
        return "a whole number" + (" above 0" if rule.positive else "")
    return None


def _country_problem(rule: Field, value: Any, text: str) -> str | None:
    return None if is_country(text) else "an ISO 3166 two-letter country code"


def _currency_problem(rule: Field, value: Any, text: str) -> str | None:
    return None if is_currency(text) else "an ISO 4217 currency code"


def _date_problem(rule: Field, value: Any, text: str) -> str | None:
    try:
        date.fromisoformat(text)
    except ValueError:
        return "a date YYYY-MM-DD"
    return None


# The check of a value's kind (a text kind has none): the problem, or None.
_KIND_PROBLEM: dict[str, Callable[[Field, Any, str], str | None]] = {
    "decimal": _decimal_problem,
    "integer": _integer_problem,
    "country": _country_problem,
    "currency": _currency_problem,
    "date": _date_problem,
}


def _text_problem(rule: Field, text: str) -> str | None:
    """The limits every kind shares: length, a closed list of codes, a pattern."""
    if rule.max_length is not None and len(text) > rule.max_length:
        return f"at most {rule.max_length} characters"
    if rule.codes is not None and text not in rule.codes:
        return "one of " + ", ".join(rule.codes)
    if rule.pattern is not None and not re.fullmatch(rule.pattern, text):
        return "not in the right format" + (f": {rule.expect}" if rule.expect else "")
    return None


def _problem(rule: Field, value: Any) -> str | None:
    if _blank(value):
        return ("required" + (f": {rule.expect}" if rule.expect else "")) if rule.required else None
    if rule.kind == "list":
        if not isinstance(value, list) or len(value) < rule.min_items:
            return f"at least {rule.min_items}"
        return None
    text = str(value).strip()
    kind_check = _KIND_PROBLEM.get(rule.kind)
    problem = kind_check(rule, value, text) if kind_check else None
    return problem or _text_problem(rule, text)


def check(
    data: dict[str, Any],
    rules: Sequence[Field],
    cross: Sequence[Callable[[dict[str, Any]], Errors]] = (),
) -> Errors:
    """Every error, by field path; empty when the data set passes its rules."""
    errors: Errors = {}
    for rule in rules:
        for path, value in _resolve(data, rule.path.split("."), ""):
            problem = _problem(rule, value)
            if problem and path not in errors:
                errors[path] = problem
    for extra in cross:
        for path, problem in extra(data).items():
            errors.setdefault(path, problem)
    return errors


def get(data: Any, path: str) -> Any:
    """The value at a dotted path (list indexes as numbers), or None."""
    value = data
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def decimal_or_none(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
