"""Identifiers with check characters: parcel codes (ISO 7064 MOD 37,36) and air waybill
numbers (IATA: airline prefix + 8-digit serial whose last digit is the first 7 mod 7).

Pure: no Django, no database.
"""

from __future__ import annotations

import re
import secrets

ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Random part of a parcel code: no 0/O, 1/I/L, so that a code read aloud or typed from a
# smudged label is not misread. The check character is computed over the full 0-9A-Z set.
BODY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BODY_LENGTH = 8
_PARCEL = re.compile(r"^([A-Z]{3})([0-9A-Z]{8})([0-9A-Z])$")
_AWB = re.compile(r"^(\d{3})(\d{8})$")


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogue (this module imports no Django)."""
    return message


class CodeInvalid(ValueError):
    """A code that is malformed or whose check character does not match.

    ``str(error)`` is the English message; ``template`` (marked for the catalogue) and
    ``params`` let a caller show it in the reader's language: ``gettext(template) % params``.
    """

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params)


def iso7064_mod37_36(text: str) -> str:
    """The check character of ISO/IEC 7064 MOD 37,36 (hybrid system) over 0-9A-Z."""
    modulus = 36
    product = modulus
    for character in text:
        value = ALPHANUMERIC.index(character)
        total = (product + value) % modulus or modulus
        product = (total * 2) % (modulus + 1)
    return ALPHANUMERIC[(modulus + 1 - product) % modulus]


def parcel_code_new(hub_code: str) -> str:
    """A fresh parcel code for a parcel leaving ``hub_code``: ``KGL-7Q4MX2PA-K``."""
    hub = hub_code.upper()
    if not re.fullmatch(r"[A-Z]{3}", hub):
        raise ValueError("a hub code is three letters")
    body = "".join(secrets.choice(BODY_ALPHABET) for _ in range(BODY_LENGTH))
    return f"{hub}-{body}-{iso7064_mod37_36(hub + body)}"


def parcel_code_normalise(raw: str) -> str:
    """The canonical form of a typed or scanned parcel code; CodeInvalid if it is not one.

    Spaces, dashes and case do not matter (``kgl 7q4m x2pa k`` is ``KGL-7Q4MX2PA-K``).
    """
    compact = re.sub(r"[\s\-]", "", str(raw or "")).upper()
    match = _PARCEL.fullmatch(compact)
    if match is None:
        raise CodeInvalid(
            gettext_noop("A parcel code is 3 letters, 8 characters and a check character.")
        )
    hub, body, check = match.groups()
    if iso7064_mod37_36(hub + body) != check:
        raise CodeInvalid(gettext_noop("The check character does not match: the code is mistyped."))
    return f"{hub}-{body}-{check}"


def awb_check_digit(serial7: str) -> int:
    """The IATA check digit of an air waybill: the first 7 serial digits modulo 7."""
    if not re.fullmatch(r"\d{7}", serial7):
        raise ValueError("seven digits")
    return int(serial7) % 7


def awb_normalise(raw: str) -> str:
    """``020-12345675`` from any spacing; CodeInvalid if malformed or its check digit is wrong."""
    compact = re.sub(r"[\s\-]", "", str(raw or ""))
    match = _AWB.fullmatch(compact)
    if match is None:
        raise CodeInvalid(
            gettext_noop("An air waybill number is a 3-digit airline prefix and 8 digits.")
        )
    prefix, serial = match.groups()
    if awb_check_digit(serial[:7]) != int(serial[7]):
        raise CodeInvalid(
            gettext_noop(
                "The check digit of %(number)s should be %(digit)s: the number is mistyped."
            ),
            number=f"{prefix}-{serial}",
            digit=awb_check_digit(serial[:7]),
        )
    return f"{prefix}-{serial}"


def awb_make(prefix: str, serial7: str) -> str:
    """An air waybill number from a prefix and 7 serial digits (the check digit appended)."""
    return f"{prefix}-{serial7}{awb_check_digit(serial7)}"
