"""HS 2022 search: the in-process index, search, suggestions and lookups."""

from __future__ import annotations

import csv
import io
import math
import re
import threading
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.db import DatabaseError, connection, transaction

from ewtp.core import conf
from ewtp.traderules.engine.files import NOT_NOMENCLATURE
from ewtp.traderules.models import HsCode
from ewtp.traderules.selectors.paging import paginate

# HS 2022 search ---------------------------------------------------------------------------


def _read_or_none[T](read: Callable[[], T]) -> T | None:
    """``read()``, or None when the tables do not exist (an unmigrated database).

    Inside a transaction the read runs in a savepoint so that a failure does not break the
    caller's transaction; outside, it runs as is (no transaction: on SQLite a transaction
    would take the write lock).
    """
    try:
        if connection.in_atomic_block:
            with transaction.atomic():
                return read()
        return read()
    except DatabaseError:
        return None


_WORD = re.compile(r"[^\W_]+")
_CLAUSE_END = re.compile(r"[;,:()\[\]]")
_STOP = frozenset(
    "a an and or of the in for with without whether not than other others their its to on by "
    "as at be from into nor neither but this that these those etc such".split()
)
_NEGATORS = frozenset({"not", "excluding", "except", "nor", "neither"})
_FIELD_WEIGHTS = (1.0, 0.45, 0.2)  # the subheading's own text, its heading, its chapter


@cache
def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _tokens(text: str) -> list[tuple[str, bool]]:
    """(stem, negated) per word; words after "not", "excluding", "other than" ... are negated
    until the end of the clause ("whether or not" negates nothing)."""
    out: list[tuple[str, bool]] = []
    for clause in _CLAUSE_END.split(text.casefold()):
        words = _WORD.findall(clause)
        negated = False
        for index, word in enumerate(words):
            previous = words[index - 1] if index else ""
            if word in _NEGATORS and not (word == "not" and previous == "or"):
                negated = True
                continue
            if word == "than" and previous == "other":
                negated = True
                continue
            if word in _STOP:
                continue
            out.append((_stem(word), negated))
    return out


@dataclass(frozen=True, slots=True)
class HsMatch:
    """A 6-digit subheading found by hs_search, with the texts of its heading and chapter."""

    code: str
    dotted: str
    description: str
    heading: str
    heading_description: str
    chapter: str
    chapter_description: str
    section: str
    score: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "dotted": self.dotted,
            "description": self.description,
            "heading": self.heading,
            "heading_description": self.heading_description,
            "chapter": self.chapter,
            "chapter_description": self.chapter_description,
            "section": self.section,
        }


@dataclass(frozen=True, slots=True)
class _Entry:
    code: str
    description: str
    heading: str
    chapter: str
    section: str
    fields: tuple[dict[str, bool], ...]  # per field: stem -> negated (False wins)
    length: int  # words of its own text that carry meaning


class HsIndex:
    """Every HS 2022 code, with a word index over the subheadings (built once per process)."""

    def __init__(self, rows: Sequence[tuple[str, int, str, str, str]]) -> None:
        self.descriptions = {code: description for code, _level, _p, description, _s in rows}
        self.levels = {code: level for code, level, _p, _d, _s in rows}
        self.sections = {code: section for code, _l, _p, _d, section in rows}
        token_cache: dict[str, dict[str, bool]] = {}

        def fields_of(code: str) -> dict[str, bool]:
            if code not in token_cache:
                found: dict[str, bool] = {}
                for stem, negated in _tokens(self.descriptions.get(code, "")):
                    found[stem] = found.get(stem, True) and negated
                token_cache[code] = found
            return token_cache[code]

        entries: list[_Entry] = []
        for code, level, _parent, description, section in sorted(rows):
            if level != 6:
                continue
            own = fields_of(code)
            entries.append(
                _Entry(
                    code=code,
                    description=description,
                    heading=code[:4],
                    chapter=code[:2],
                    section=section,
                    fields=(own, fields_of(code[:4]), fields_of(code[:2])),
                    length=max(len(own), 1),
                )
            )
        self.entries = tuple(entries)
        self.subheadings = frozenset(entry.code for entry in entries)
        postings: dict[str, set[int]] = {}
        for index, entry in enumerate(entries):
            for stem in {*entry.fields[0], *entry.fields[1], *entry.fields[2]}:
                found = postings.get(stem)
                if found is None:
                    postings[stem] = {index}
                else:
                    found.add(index)
        self.postings = postings
        self.vocabulary = tuple(sorted(postings))
        total = len(entries) or 1
        self.idf = {stem: math.log(1 + total / len(found)) for stem, found in postings.items()}

    def match(self, entry: _Entry, score: float) -> HsMatch:
        return HsMatch(
            code=entry.code,
            dotted=f"{entry.code[:4]}.{entry.code[4:]}",
            description=entry.description,
            heading=entry.heading,
            heading_description=self.descriptions.get(entry.heading, ""),
            chapter=entry.chapter,
            chapter_description=self.descriptions.get(entry.chapter, ""),
            section=entry.section,
            score=round(score, 4),
        )

    def _expand(self, term: str) -> list[tuple[str, float]]:
        """The index stems a query word matches: itself, and words it begins (search as you
        type), at a lower weight."""
        found = [(term, 1.0)] if term in self.postings else []
        if len(term) >= 3:
            start = bisect_left(self.vocabulary, term)
            longer = []
            for stem in self.vocabulary[start : start + 200]:
                if not stem.startswith(term):
                    break
                if stem != term:
                    longer.append(stem)
            if longer:
                # The commoner completions are likelier what is being typed ("coff" -> coffee).
                top = max(len(self.postings[stem]) for stem in longer)
                found += [(s, 0.35 + 0.35 * len(self.postings[s]) / top) for s in longer]
        return found

    def search(self, text: str) -> list[HsMatch]:
        text = text.strip()
        if not text:
            return []
        digits = re.sub(r"[\s.]", "", text)
        if digits.isdigit():
            prefix = digits[:6]
            return [self.match(e, 1.0) for e in self.entries if e.code.startswith(prefix)]
        terms = _query_terms(text)
        expansions = [self._expand(term) for term in terms]
        candidates: set[int] = set()
        for expanded in expansions:
            for stem, _weight in expanded:
                candidates |= self.postings.get(stem, set())
        scored: list[tuple[float, int, str, _Entry, int]] = []
        for index in candidates:
            entry = self.entries[index]
            score, matched, own_matched = self._score(entry, expansions)
            if not matched:
                continue
            score *= (matched / len(terms)) ** 2
            score += own_matched / entry.length  # short texts that are mostly the query
            scored.append((-score, matched < len(terms), entry.code, entry, matched))
        full = [item for item in scored if not item[1]]
        chosen = full or scored
        chosen.sort(key=lambda item: (item[0], item[2]))
        return [self.match(entry, -negative) for negative, _p, _c, entry, _m in chosen]

    def _score(
        self, entry: _Entry, expansions: Sequence[Sequence[tuple[str, float]]]
    ) -> tuple[float, int, int]:
        """(score, query words matched, of which in the subheading's own text) of one entry:
        each query word counts with its best weighted match."""
        score = 0.0
        matched = own_matched = 0
        for expanded in expansions:
            best = 0.0
            best_own = False
            for stem, weight in expanded:
                for position, stems in enumerate(entry.fields):
                    negated = stems.get(stem)
                    if negated is None:
                        continue
                    value = _FIELD_WEIGHTS[position] * weight * (0.15 if negated else 1.0)
                    value *= self.idf.get(stem, 1.0)
                    if value > best:
                        best = value
                        best_own = position == 0 and not negated
            if best > 0:
                matched += 1
                own_matched += best_own
            score += best
        return score, matched, own_matched


def _query_terms(text: str) -> list[str]:
    """The distinct stems of a query, in order (a query of stop words only: those words)."""
    terms = [stem for stem, _negated in _tokens(text)]
    if not terms:
        terms = [_stem(word) for word in _WORD.findall(text.casefold())]
    return list(dict.fromkeys(terms))


_hs_lock = threading.Lock()
_hs: dict[str, Any] = {}


def hs_index_clear() -> None:
    with _hs_lock:
        _hs.clear()
        _hs_search_cached.clear()


def _hs_rows_from_database() -> list[tuple[str, int, str, str, str]]:
    columns = ("code", "level", "parent_id", "description", "section_id")
    rows = _read_or_none(lambda: list(HsCode.objects.values_list(*columns))) or []
    return [
        (code, level, parent or "", text, section or "")
        for code, level, parent, text, section in rows
    ]


def _hs_rows_from_files() -> list[tuple[str, int, str, str, str]]:
    path = Path(conf.DATA_DIR()) / "hs" / "harmonized-system.csv"
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    return [
        (
            row["hscode"].strip(),
            int(row["level"]),
            row["parent"].strip(),
            row["description"].strip(),
            row["section"].strip(),
        )
        for row in reader
        if row["hscode"].strip().isdigit() and row["hscode"].strip() not in NOT_NOMENCLATURE
    ]


def hs_subheadings() -> frozenset[str]:
    """The 6-digit HS 2022 subheadings (what a quote accepts), without building the index."""
    found = _hs.get("subheadings")
    if found is None:
        index = _hs.get("index")
        if isinstance(index, HsIndex):
            found = index.subheadings
        else:
            codes = HsCode.objects.filter(level=6).values_list("code", flat=True)
            found = _read_or_none(lambda: frozenset(codes)) or frozenset()
            if not found:
                found = frozenset(code for code, level, *_r in _hs_rows_from_files() if level == 6)
        _hs["subheadings"] = found
    assert isinstance(found, frozenset)
    return found


def hs_index() -> HsIndex:
    """The HS index of this process (from the database, else the shipped file)."""
    index = _hs.get("index")
    if index is None:
        with _hs_lock:
            index = _hs.get("index")
            if index is None:
                rows = _hs_rows_from_database() or _hs_rows_from_files()
                index = HsIndex(rows)
                _hs["index"] = index
    assert isinstance(index, HsIndex)
    return index


class _SearchCache:
    """A small memo of recent searches (typing sends many of the same prefixes)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.items: dict[str, list[HsMatch]] = {}
        self.lock = threading.Lock()

    def get(self, text: str) -> list[HsMatch]:
        found = self.items.get(text)
        if found is None:
            found = hs_index().search(text)
            with self.lock:
                if len(self.items) >= self.size:
                    self.items.pop(next(iter(self.items)), None)
                self.items[text] = found
        return found

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


_hs_search_cached = _SearchCache()


def hs_search(text: str, limit: int = 10, offset: int = 0) -> list[HsMatch]:
    """Subheadings ranked for ``text``: words (in the subheading's, heading's and chapter's
    text) or a code prefix ("0901", "0901.21"). Offline; no database query once built."""
    normalised = " ".join(text.split())[:200]
    return _hs_search_cached.get(normalised)[offset : offset + limit]


def hs_search_page(text: str, *, page: int = 1, per_page: int = 20) -> dict[str, Any]:
    """One page of hs_search: ``{"items", "page", "pages", "total"}`` (items are HsMatch)."""
    normalised = " ".join(text.split())[:200]
    found = _hs_search_cached.get(normalised)
    return paginate(found, page=page, per_page=per_page)


def hs_suggest(description: str, limit: int = 5) -> list[HsMatch]:
    """Subheadings for a seller's product description (the same ranking as hs_search)."""
    return hs_search(description, limit=limit)


def hs_subheading_exists(code: str) -> bool:
    """True when ``code`` (dots and spaces ignored) is a 6-digit HS 2022 subheading."""
    digits = re.sub(r"[\s.]", "", code)
    return len(digits) == 6 and digits in hs_subheadings()


def hs_describe(code: str) -> str:
    """The description of an HS code (2, 4 or 6 digits), or ""."""
    return hs_index().descriptions.get(re.sub(r"[\s.]", "", code)[:6], "")
