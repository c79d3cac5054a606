"""Delivery addresses checked per country; phone numbers checked with ``phonenumbers``.

A Rwandan address may be a landmark description ("blue gate opposite Kimironko market")
with a district and a phone number, as street addresses are not universal there.
Pure: no database, no Django.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as NumberInvalid

FIELDS = ("name", "line1", "line2", "landmark", "city", "region", "postal_code", "phone")
# China's cross-border retail channel declares the buyer by name and resident identity card
# number; it is asked for (and kept) for Chinese addresses only. It may be given at checkout or
# later on the order page, before the seller submits the declarations.
ID_NUMBER_COUNTRIES = {"CN"}

_GENERIC_POSTAL = r"[A-Za-z0-9][A-Za-z0-9 -]{1,9}"
POSTAL_CODES: dict[str, tuple[str, str]] = {
    # country: (pattern, example)
    "BE": (r"\d{4}", "1000"),
    "FR": (r"\d{5}", "75001"),
    "DE": (r"\d{5}", "10115"),
    "NL": (r"\d{4} ?[A-Za-z]{2}", "1011 AB"),
    "LU": (r"(L-)?\d{4}", "1111"),
    "AT": (r"\d{4}", "1010"),
    "IT": (r"\d{5}", "00100"),
    "ES": (r"\d{5}", "28001"),
    "CN": (r"\d{6}", "310000"),
    "US": (r"\d{5}(-\d{4})?", "10001"),
    "GB": (r"[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}", "SW1A 1AA"),
    "MY": (r"\d{5}", "50450"),
    "KE": (r"\d{5}", "00100"),
}
NO_POSTAL_CODES = {"RW"}
PHONE_REQUIRED = {"RW", "KE", "CN", "MY"}
REGION_REQUIRED = {"US": "state", "CN": "province", "MY": "state"}
LIMITS = {"name": 120, "line1": 200, "line2": 200, "landmark": 300, "city": 100, "region": 100}


class AddressError(ValueError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


def phone_normalise(raw: str, country: str) -> str:
    """E.164 form of a phone number valid for ``country`` (a +CC number may be foreign)."""
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def id_number_clean(raw: str) -> str:
    """A Chinese resident identity card number: 18 characters, birth date and check digit."""
    try:
        return str(ric.validate(raw.strip().upper()))
    except NumberInvalid:
        raise ValueError(
            "not a resident identity card number (18 characters, the last a check digit)"
        ) from None


def id_number_masked(value: str) -> str:
    """For pages and mails: the last four characters only."""
    return f"{'•' * 14}{value[-4:]}" if value else ""


def _check_street(country: str, values: dict[str, str], errors: dict[str, str]) -> None:
    if country == "RW":
        if not values["line1"] and not values["landmark"]:
            errors["landmark"] = "a street address, or a landmark description to find the place"
        if not values["city"]:
            errors["city"] = "the district or town"
    else:
        if not values["line1"]:
            errors["line1"] = "the street and number"
        if not values["city"]:
            errors["city"] = "the city or town"


def _check_region_and_postal_code(
    country: str, values: dict[str, str], errors: dict[str, str]
) -> None:
    region = REGION_REQUIRED.get(country)
    if region and not values["region"]:
        errors["region"] = f"the {region}"
    if country == "US" and values["region"] and not re.fullmatch(r"[A-Za-z]{2}", values["region"]):
        errors["region"] = "the state's two-letter code, e.g. NY"
    if country not in NO_POSTAL_CODES:
        pattern, example = POSTAL_CODES.get(country, (_GENERIC_POSTAL, "a postal code"))
        if not values["postal_code"]:
            errors["postal_code"] = f"the postal code, e.g. {example}"
        elif not re.fullmatch(pattern, values["postal_code"]):
            errors["postal_code"] = f"not a postal code of {country}, e.g. {example}"
        else:
            values["postal_code"] = values["postal_code"].upper()


def _check_phone_and_id(
    country: str, values: dict[str, str], data: dict[str, Any], errors: dict[str, str]
) -> None:
    if values["phone"]:
        try:
            values["phone"] = phone_normalise(values["phone"], country)
        except ValueError as error:
            errors["phone"] = f"{error} for {country}"
    elif country in PHONE_REQUIRED:
        errors["phone"] = "a phone number the courier can call"
    if country in ID_NUMBER_COUNTRIES:
        raw_id = str(data.get("id_number") or "").strip()
        if raw_id:
            try:
                values["id_number"] = id_number_clean(raw_id)
            except ValueError as error:
                errors["id_number"] = str(error)


def address_clean(country: str, data: Any, *, prefix: str = "shipping_address.") -> dict[str, str]:
    """The address with its fields trimmed and normalised; AddressError names every bad field."""
    if not isinstance(data, dict):
        raise AddressError({prefix.rstrip("."): "an address object with name, line1, city, ..."})
    country = country.upper()
    values = {name: str(data.get(name) or "").strip() for name in FIELDS}
    errors: dict[str, str] = {}
    given_country = str(data.get("country") or "").strip().upper()
    if given_country and given_country != country:
        errors["country"] = f"the address must be in the destination country {country}"
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            errors[name] = f"at most {limit} characters"
    if not values["name"]:
        errors["name"] = "the name of the person who receives the parcel"
    _check_street(country, values, errors)
    _check_region_and_postal_code(country, values, errors)
    _check_phone_and_id(country, values, data, errors)
    if errors:
        raise AddressError({f"{prefix}{name}": message for name, message in errors.items()})
    return {"country": country, **{k: v for k, v in values.items() if v}}


def address_lines(address: dict[str, str]) -> list[str]:
    """The address as lines for a label or a page."""
    lines = [address.get("name", ""), address.get("line1", ""), address.get("line2", "")]
    if address.get("landmark"):
        lines.append(address["landmark"])
    city = " ".join(p for p in (address.get("postal_code", ""), address.get("city", "")) if p)
    lines.append(", ".join(p for p in (city, address.get("region", "")) if p))
    lines.append(address.get("country", ""))
    if address.get("phone"):
        lines.append(address["phone"])
    return [line for line in lines if line]
