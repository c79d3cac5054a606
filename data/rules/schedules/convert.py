"""Convert the national tariff schedules and the VAT extracts into the repository's formats.

A maintenance script, not run by the platform: it reads the extracts described in each folder's
SOURCE.md (``<extracts>/{eu,gb,us,vat}/``, produced by their own ``extract.py``) and writes

- ``eu/cet-2020.csv``, ``gb/ukgt-2021.csv``, ``us/hts-2025.csv``: one row per national line,
  columns ``code, description, duty, not_computable, published, valid_from, valid_to, source,
  confidence``. ``duty`` is the rate in the importer's grammar (``free``, ``7.5%``,
  ``0.019 USD/kg``, ``12.8% + 3.034 EUR/kg``; units kg, 100kg, 1000kg, item, dozen, 1000items, l, hl); a line the engine
  cannot compute has an empty ``duty`` and says why in ``not_computable``. ``published`` is the
  expression as the source wrote it.
- ``vat/vat-by-product.csv``: reduced, super-reduced and zero VAT rates by HS prefix, in the
  shape of ``taxes.csv`` with ``rate_kind`` and ``category``.

Codes whose first six digits are not an HS 2022 subheading are left out (counted on stderr).

Usage: python data/rules/schedules/convert.py EXTRACTS_DIR [HS_CSV]
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = [
    "code",
    "description",
    "duty",
    "not_computable",
    "published",
    "valid_from",
    "valid_to",
    "source",
    "confidence",
]

# Specific units the engine computes; others are converted exactly where possible.
_UNIT_FACTOR = {
    # unit as published -> (unit in the grammar, divisor of the amount)
    "kg": ("kg", Decimal(1)),
    "100 kg": ("100kg", Decimal(1)),
    "100kg": ("100kg", Decimal(1)),
    "tonne": ("1000kg", Decimal(1)),
    "t": ("1000kg", Decimal(1)),
    "1000kg": ("1000kg", Decimal(1)),
    "1000 kg": ("1000kg", Decimal(1)),
    "hl": ("hl", Decimal(1)),
    "liter": ("l", Decimal(1)),
    "item": ("item", Decimal(1)),
    "items": ("item", Decimal(1)),
    "each": ("item", Decimal(1)),
    "head": ("item", Decimal(1)),
    "doz.": ("dozen", Decimal(1)),
    "1,000 items": ("1000items", Decimal(1)),
    "1000 items": ("1000items", Decimal(1)),
    "1000": ("1000items", Decimal(1)),
    "thousand": ("1000items", Decimal(1)),
}

_SEASONAL = re.compile(r"\(\s*\d{1,2}\s*[A-Z]{3}", re.IGNORECASE)


def _text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _percent(text: str) -> str:
    return f"{_text(Decimal(text))}%"


def _specific(amount: str, currency: str, unit: str) -> str | None:
    unit = unit.strip()
    if unit not in _UNIT_FACTOR:
        return None
    target, divisor = _UNIT_FACTOR[unit]
    value = Decimal(amount.replace(",", "")) / divisor
    return f"{_text(value)} {currency}/{target}"


_REASONS = (
    (
        re.compile(
            r"rate applicable|rate of duty applicable|See additional|duty rate provided", re.I
        ),
        "the rate refers to other lines or to notes of the tariff",
    ),
    (re.compile(r"/ ?hl .*/ ?100 ?kg"), "two specific parts"),
    (re.compile(r"entry price", re.I), "entry price: the duty depends on the import price"),
    (
        re.compile(r"\bEA\b|ADSZ|ADFM|AD S/Z|AD F/M"),
        "agricultural component: the duty depends on the product's composition",
    ),
    (re.compile(r"\bMIN\b|\bMAX\b"), "a minimum or maximum clause"),
    (re.compile(r"% ?vol|pf\.? ?liter|alc", re.I), "per unit of alcohol content"),
    (
        re.compile(r"lactic|sacchar|net dry|drained|std qual|\beda\b|\bmas\b|gross|net/|/net|/br"),
        "per kg of a component or a conditioned weight",
    ),
    (
        re.compile(r"content|sugars|clean kg|jewel|case|movement|battery|set|value of", re.I),
        "the duty depends on parts or contents of the goods",
    ),
    (
        re.compile(r"doz|pr\.|bbl|m2|m3|/ ?m\b|/ ?\d+ ?m\b|line|pins|article", re.I),
        "a specific duty in a unit the request does not give",
    ),
)


def _not_computable(published: str) -> str:
    text = published.strip()
    if not text:
        return "no general rate is published for this line"
    if _SEASONAL.search(text):
        return "seasonal rates: the rate depends on the day of the year"
    for pattern, reason in _REASONS:
        if pattern.search(text):
            return reason
    return "the duty expression is not one the engine computes"


_EU_PART = re.compile(
    r"^(?:(?P<pct>\d+(?:\.\d+)?)\s*%|(?P<amount>[\d,]+(?:\.\d+)?)\s*(?P<cur>EUR|GBP)\s*/\s*(?P<unit>[\w ,]+?))$"
)


def parse_eu_gb(published: str) -> str | None:
    """The grammar's duty for an EU or UK expression, or None when it cannot be computed."""
    text = published.replace("\xa0", " ").strip()
    if not text or _SEASONAL.search(text):
        return None
    parts = [part.strip() for part in text.split("+")]
    out: list[str] = []
    specifics = 0
    for part in parts:
        matched = _EU_PART.match(part)
        if not matched:
            return None
        if matched.group("pct") is not None:
            out.append(_percent(matched.group("pct")))
            continue
        specific = _specific(matched.group("amount"), matched.group("cur"), matched.group("unit"))
        if specific is None:
            return None
        specifics += 1
        out.append(specific)
    if specifics > 1 or len(out) - specifics > 1:
        return None
    return " + ".join(out)


_US_PART = re.compile(
    r"^(?:(?P<pct>\d+(?:\.\d+)?)%"
    r"|(?P<cents>\d+(?:\.\d+)?) cents ?(?:/ ?(?P<cunit>kg|liter|t|head|1000|thousand|doz\.)|(?P<ceach> each))"
    r"|\$(?P<dollars>\d+(?:\.\d+)?) ?(?:/ ?(?P<dunit>kg|liter|t|1000)|(?P<deach> each)))$"
)


def parse_us(published: str) -> str | None:
    text = published.strip()
    if text == "Free":
        return "free"
    if not text:
        return None
    out: list[str] = []
    specifics = 0
    for part in (piece.strip() for piece in text.split("+")):
        matched = _US_PART.match(part)
        if not matched:
            return None
        if matched.group("pct") is not None:
            out.append(_percent(matched.group("pct")))
            continue
        if matched.group("cents") is not None:
            amount = Decimal(matched.group("cents")) / 100
            unit = "each" if matched.group("ceach") else matched.group("cunit")
        else:
            amount = Decimal(matched.group("dollars"))
            unit = "each" if matched.group("deach") else matched.group("dunit")
        specific = _specific(str(amount), "USD", unit)
        if specific is None:
            return None
        specifics += 1
        out.append(specific)
    if specifics > 1 or len(out) - specifics > 1:
        return None
    return " + ".join(out)


def _hs2022(hs_csv: Path) -> set[str]:
    with hs_csv.open(encoding="utf-8-sig") as handle:
        return {row["hscode"] for row in csv.DictReader(handle) if len(row["hscode"]) == 6}


def convert_schedule(
    source: Path,
    target: Path,
    *,
    parse,  # type: ignore[no-untyped-def]
    source_id: str,
    confidence: str,
    subheadings: set[str],
) -> Counter[str]:
    counts: Counter[str] = Counter()
    rows: list[list[str]] = []
    with source.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["hs_code"].strip()
            if code[:6] not in subheadings:
                counts["not HS 2022"] += 1
                continue
            published = " ".join(row["duty_expression"].split())
            duty = parse(row["duty_expression"])
            reason = "" if duty is not None else _not_computable(published)
            counts["computable" if duty is not None else "not computable"] += 1
            valid_to = row.get("valid_to", "") or ""
            if valid_to == "2050-12-31":  # USITC's "no end date"
                valid_to = ""
            description = " ".join(row["description"].split())[:300]
            rows.append(
                [
                    code,
                    description,
                    duty or "",
                    reason,
                    published,
                    row["valid_from"],
                    valid_to,
                    source_id,
                    confidence,
                ]
            )
    rows.sort(key=lambda item: (item[0], item[5]))
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return counts


# VAT ---------------------------------------------------------------------------------------

# TEDB categories that a consumer's parcel can fall in by what the goods are. Services and
# supplies through networks are left out. Categories whose rate depends on the buyer or the
# use (medical aids for disabled persons, agricultural inputs, ...) are kept at low confidence.
GOODS = {
    "FOODSTUFFS": "foodstuffs",
    "BOOKS": "books",
    "LOAN_LIBRARIES": "books, newspapers and periodicals",
    "NEWSPAPERS": "newspapers",
    "PERIODICALS": "periodicals",
    "CHILD_WEAR": "children's clothing and footwear",
    "PLANT": "live plants and floricultural products",
    "BICYCLES_ELECTRIC": "bicycles",
    "CHILDREN_CAR_SEATS": "children's car seats",
    "POSTAGE": "postage and revenue stamps (collectors' items)",
    "PICTURES": "works of art: pictures and paintings",
    "SCULPTURES": "works of art: sculptures",
    "SCULPTURE_CASTS": "works of art: sculpture casts",
    "TAPESTRIES": "works of art: tapestries and wall textiles",
    "CERAMICS": "works of art: ceramics",
    "ENAMELS": "works of art: enamels on copper",
    "PHOTOGRAPHS": "works of art: photographs",
    "IMPRESSIONS": "works of art: engravings, prints and lithographs",
    "ANTIQUES": "works of art, collectors' items and antiques",
    "ZOOLOGICAL": "collections and collectors' pieces",
    "100_YEARS_OLD": "goods more than 100 years old",
    "LIVE_EQUINES": "live equines",
    "WOOD": "firewood",
    "WOOD_ARTICLE98": "firewood",
}
CONDITIONAL = {
    "PHARMACEUTICAL_PRODUCTS": "pharmaceutical products",
    "MEDICAL_EQUIPMENT": "medical equipment and aids for disabled persons",
    "AGRICULTURAL_PRODUCTION": "goods for agricultural production",
    "CERTAIN_AGRICULTURAL_INPUT": "agricultural inputs",
    "CHEMICAL_FERTILISERS": "chemical fertilisers",
    "CHEMICAL_PESTICIDES_ENVIRONMENT": "chemical pesticides",
    "AGRICULTURAL_EQUIPMENT": "agricultural tools and equipment",
    "FOSSIL_FUEL": "fossil fuels",
    "FUEL_MINERAL_OIL": "solid mineral fuels, mineral oils and firewood",
    "CLEANING_PRODUCT": "washing and cleaning preparations",
    "PRINTED_ADVERTISING_MATERIAL": "printed advertising material",
    "WINE_FRESH_GRAPE": "wine of fresh grapes",
    "EXEMPTION_SUPERREDUCED": "goods under Article 105a(1) of the VAT Directive",
    "TEMPORARY_EXEMPTION_RATE": "goods under Article 105a(2) of the VAT Directive",
    "NEW_PARKING_RATE": "goods under Article 105a(3) of the VAT Directive",
}
_KINDS = {
    "reduced": "reduced",
    "super-reduced": "super_reduced",
    "parking": "reduced",
    "zero": "zero",
}
_KIND_WORDS = {
    "reduced": "reduced rate",
    "super_reduced": "super-reduced rate",
    "zero": "zero rate",
}
# Rates changed after the TEDB answer (eu_vat_rates_2026.csv): country -> (old, new, from).
RATE_CHANGES = {
    "FI": (Decimal("0.14"), Decimal("0.135"), date(2026, 1, 1), "medium"),
    "LT": (Decimal("0.09"), Decimal("0.12"), date(2026, 1, 1), "low"),
    "RO": (None, Decimal("0.11"), date(2025, 8, 1), "medium"),  # 5% and 9% became 11%
}
VAT_COLUMNS = [
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
]


def _tedb_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [
            row
            for row in csv.DictReader(handle)
            if row["cn_codes"].strip()
            and row["rate_kind"] in _KINDS
            and (row["category_id"] in GOODS or row["category_id"] in CONDITIONAL)
        ]


def _situations(rows: list[dict[str, str]]) -> dict[tuple[str, str], list[str]]:
    """Per (country, category): the TEDB situation dates, oldest first."""
    dates: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        dates[(row["country"], row["category_id"])].add(row["valid_from"])
    return {key: sorted(value) for key, value in dates.items()}


def _vat_candidates(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    situations = _situations(rows)
    out: list[dict[str, str]] = []
    for row in rows:
        key = (row["country"], row["category_id"])
        later = [day for day in situations[key] if day > row["valid_from"]]
        valid_to = (date.fromisoformat(later[0]) - timedelta(days=1)).isoformat() if later else ""
        kind = _KINDS[row["rate_kind"]]
        rate = Decimal(row["rate"])
        if rate == 0:
            kind = "zero"
        label = GOODS.get(row["category_id"]) or CONDITIONAL[row["category_id"]]
        for prefix in row["cn_codes"].split():
            if not prefix.isdigit() or not 2 <= len(prefix) <= 10:
                continue
            out.append(
                {
                    "country": row["country"],
                    "kind": "vat",
                    "hs_prefix": prefix,
                    "rate": _text(rate),
                    "rate_kind": kind,
                    "category": f"{_KIND_WORDS[kind]}: {label}",
                    "valid_from": row["valid_from"],
                    "valid_to": valid_to,
                    "source": "VAT-TEDB",
                    "confidence": "medium" if row["category_id"] in GOODS else "low",
                    "_goods": "1" if row["category_id"] in GOODS else "0",
                }
            )
    return out


def _apply_rate_changes(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for row in rows:
        change = RATE_CHANGES.get(row["country"])
        rate = Decimal(row["rate"])
        hit = (
            change is not None
            and row["rate_kind"] != "zero"
            and (
                rate == change[0]
                if change[0] is not None
                else rate in (Decimal("0.05"), Decimal("0.09"))
            )
        )
        if not hit:
            out.append(row)
            continue
        assert change is not None
        start = change[2]
        ends = date.fromisoformat(row["valid_to"]) if row["valid_to"] else None
        if date.fromisoformat(row["valid_from"]) >= start:
            out.append(
                {
                    **row,
                    "rate": _text(change[1]),
                    "source": "VAT-TEDB;VAT-2026",
                    "confidence": change[3],
                }
            )
            continue
        if ends is not None and ends < start:
            out.append(row)
            continue
        out.append({**row, "valid_to": (start - timedelta(days=1)).isoformat()})
        out.append(
            {
                **row,
                "rate": _text(change[1]),
                "valid_from": start.isoformat(),
                "source": "VAT-TEDB;VAT-2026",
                "confidence": change[3],
            }
        )
    return out


def _resolve(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """One row per (country, prefix, valid_from): goods categories before conditional ones,
    then the higher rate (a conditional lower rate is not what a consumer's parcel pays)."""
    best: dict[tuple[str, str, str], dict[str, str]] = {}
    for row in rows:
        key = (row["country"], row["hs_prefix"], row["valid_from"])
        rank = (row["_goods"], Decimal(row["rate"]))
        held = best.get(key)
        if held is None or rank > (held["_goods"], Decimal(held["rate"])):
            best[key] = row
    ordered = sorted(best.values(), key=lambda r: (r["country"], r["hs_prefix"], r["valid_from"]))
    out: list[dict[str, str]] = []
    for row, after in zip(ordered, [*ordered[1:], None], strict=True):
        row = {column: row[column] for column in VAT_COLUMNS}
        if after is not None and (after["country"], after["hs_prefix"]) == (
            row["country"],
            row["hs_prefix"],
        ):
            # A later situation of another category ends this one the day before.
            end = (date.fromisoformat(after["valid_from"]) - timedelta(days=1)).isoformat()
            if not row["valid_to"] or row["valid_to"] > end:
                row["valid_to"] = end
        out.append(row)
    return out


# United Kingdom: HMRC's categories carry no commodity codes; the zero-rated goods of VATA 1994
# Schedule 8 are mapped here by hand, by HS heading (confidence low: each group has
# exceptions the headings do not separate).
GB_ZERO = [
    ("0102", "food (VATA 1994 Sch. 8 Group 1): live animals of a kind used for food"),
    ("0103", "food (VATA 1994 Sch. 8 Group 1): live animals of a kind used for food"),
    ("0104", "food (VATA 1994 Sch. 8 Group 1): live animals of a kind used for food"),
    ("0105", "food (VATA 1994 Sch. 8 Group 1): live animals of a kind used for food"),
    ("02", "food (VATA 1994 Sch. 8 Group 1): meat"),
    ("03", "food (VATA 1994 Sch. 8 Group 1): fish"),
    ("0401", "food (VATA 1994 Sch. 8 Group 1): milk and cream"),
    ("0402", "food (VATA 1994 Sch. 8 Group 1): milk and cream"),
    ("0403", "food (VATA 1994 Sch. 8 Group 1): yoghurt and fermented milk"),
    ("0404", "food (VATA 1994 Sch. 8 Group 1): whey"),
    ("0405", "food (VATA 1994 Sch. 8 Group 1): butter"),
    ("0406", "food (VATA 1994 Sch. 8 Group 1): cheese"),
    ("0407", "food (VATA 1994 Sch. 8 Group 1): eggs"),
    ("0408", "food (VATA 1994 Sch. 8 Group 1): eggs"),
    ("07", "food (VATA 1994 Sch. 8 Group 1): vegetables"),
    ("10", "food (VATA 1994 Sch. 8 Group 1): cereals"),
    ("11", "food (VATA 1994 Sch. 8 Group 1): milling products"),
    ("1507", "food (VATA 1994 Sch. 8 Group 1): edible oils"),
    ("1508", "food (VATA 1994 Sch. 8 Group 1): edible oils"),
    ("1509", "food (VATA 1994 Sch. 8 Group 1): edible oils"),
    ("1510", "food (VATA 1994 Sch. 8 Group 1): edible oils"),
    ("1511", "food (VATA 1994 Sch. 8 Group 1): edible oils"),
    ("1512", "food (VATA 1994 Sch. 8 Group 1): edible oils"),
    ("1513", "food (VATA 1994 Sch. 8 Group 1): edible oils"),
    ("1514", "food (VATA 1994 Sch. 8 Group 1): edible oils"),
    ("1515", "food (VATA 1994 Sch. 8 Group 1): edible oils"),
    ("1517", "food (VATA 1994 Sch. 8 Group 1): margarine and edible fats"),
    ("1601", "food (VATA 1994 Sch. 8 Group 1): sausages"),
    ("1602", "food (VATA 1994 Sch. 8 Group 1): prepared meat"),
    ("1604", "food (VATA 1994 Sch. 8 Group 1): prepared fish"),
    ("1605", "food (VATA 1994 Sch. 8 Group 1): prepared crustaceans and molluscs"),
    ("1701", "food (VATA 1994 Sch. 8 Group 1): sugar"),
    ("1702", "food (VATA 1994 Sch. 8 Group 1): sugars and syrups"),
    ("1801", "food (VATA 1994 Sch. 8 Group 1): cocoa beans"),
    ("1805", "food (VATA 1994 Sch. 8 Group 1): cocoa powder"),
    ("1901", "food (VATA 1994 Sch. 8 Group 1): food preparations of flour"),
    ("1902", "food (VATA 1994 Sch. 8 Group 1): pasta"),
    ("1904", "food (VATA 1994 Sch. 8 Group 1): cereal preparations"),
    ("1905", "food (VATA 1994 Sch. 8 Group 1): bread and bakers' wares"),
    ("2001", "food (VATA 1994 Sch. 8 Group 1): preserved vegetables"),
    ("2002", "food (VATA 1994 Sch. 8 Group 1): preserved tomatoes"),
    ("2003", "food (VATA 1994 Sch. 8 Group 1): preserved mushrooms"),
    ("2004", "food (VATA 1994 Sch. 8 Group 1): preserved vegetables"),
    ("2005", "food (VATA 1994 Sch. 8 Group 1): preserved vegetables"),
    ("2007", "food (VATA 1994 Sch. 8 Group 1): jams"),
    ("2008", "food (VATA 1994 Sch. 8 Group 1): preserved fruit and nuts"),
    ("2101", "food (VATA 1994 Sch. 8 Group 1): coffee and tea extracts"),
    ("2103", "food (VATA 1994 Sch. 8 Group 1): sauces and condiments"),
    ("2104", "food (VATA 1994 Sch. 8 Group 1): soups"),
    ("4902", "books and printed matter (VATA 1994 Sch. 8 Group 3): newspapers"),
    ("4903", "books and printed matter (VATA 1994 Sch. 8 Group 3): children's picture books"),
    ("4904", "books and printed matter (VATA 1994 Sch. 8 Group 3): printed music"),
    ("4905", "books and printed matter (VATA 1994 Sch. 8 Group 3): maps"),
]
GB_REDUCED = [
    ("300660", "reduced rate (VATA 1994 Sch. 7A Group 8): contraceptive products", "0.05"),
]


def _gb_rows() -> list[dict[str, str]]:
    rows = [
        {
            "country": "GB",
            "kind": "vat",
            "hs_prefix": prefix,
            "rate": "0",
            "rate_kind": "zero",
            "category": f"zero rate: {label}",
            "valid_from": "2021-01-01",
            "valid_to": "",
            "source": "VAT-HMRC",
            "confidence": "low",
        }
        for prefix, label in GB_ZERO
    ]
    rows += [
        {
            "country": "GB",
            "kind": "vat",
            "hs_prefix": prefix,
            "rate": rate,
            "rate_kind": "reduced",
            "category": label,
            "valid_from": "2021-01-01",
            "valid_to": "",
            "source": "VAT-HMRC",
            "confidence": "low",
        }
        for prefix, label, rate in GB_REDUCED
    ]
    return rows


def _hs_prefix_ok(prefix: str, subheadings: set[str]) -> bool:
    if len(prefix) >= 6:
        return prefix[:6] in subheadings
    return any(code.startswith(prefix) for code in subheadings)


def convert_vat(source: Path, target: Path, subheadings: set[str]) -> int:
    rows = _resolve(_apply_rate_changes(_vat_candidates(_tedb_rows(source)))) + _gb_rows()
    kept = [row for row in rows if _hs_prefix_ok(row["hs_prefix"], subheadings)]
    print("vat prefixes not HS 2022:", len(rows) - len(kept), file=sys.stderr)
    rows = kept
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=VAT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def main() -> None:
    extracts = Path(sys.argv[1])
    hs_csv = (
        Path(sys.argv[2]) if len(sys.argv) > 2 else HERE.parents[1] / "hs" / "harmonized-system.csv"
    )
    subheadings = _hs2022(hs_csv)
    jobs = (
        ("eu/eu_cet2020_cn8.csv", "eu/cet-2020.csv", parse_eu_gb, "TAR-EU", "medium"),
        ("gb/gb_ukgt2021.csv", "gb/ukgt-2021.csv", parse_eu_gb, "TAR-GB", "medium"),
        ("us/us_hts8_mfn.csv", "us/hts-2025.csv", parse_us, "TAR-US", "high"),
    )
    for source, target, parse, source_id, confidence in jobs:
        counts = convert_schedule(
            extracts / source,
            HERE / target,
            parse=parse,
            source_id=source_id,
            confidence=confidence,
            subheadings=subheadings,
        )
        print(target, dict(counts), file=sys.stderr)
    count = convert_vat(
        extracts / "vat" / "eu_vat_tedb_2025.csv", HERE / "vat" / "vat-by-product.csv", subheadings
    )
    print("vat/vat-by-product.csv", count, file=sys.stderr)


if __name__ == "__main__":
    main()
