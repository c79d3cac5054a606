"""Certificate codes: ten random Crockford base32 characters and a Luhn mod 32 check character.

A code is read aloud, typed from paper and scanned from a QR code, so it uses an alphabet without
the look-alikes I, L, O and U, accepts lower case, spaces and hyphens, reads O as 0 and I/L as 1,
and the check character catches every single-character typo and most swaps of neighbours.
Pure Python, no Django: a verifier can copy this file.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
BODY_LENGTH = 10
CODE_LENGTH = BODY_LENGTH + 1
_N = len(ALPHABET)
_INDEX = {char: index for index, char in enumerate(ALPHABET)}
_SUBSTITUTES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _luhn_sum(values: list[int], *, double_first: bool) -> int:
    """Luhn mod N over code points read from the right, doubling every second one."""
    total = 0
    double = double_first
    for value in reversed(values):
        addend = value * 2 if double else value
        total += addend // _N + addend % _N
        double = not double
    return total


def check_character(body: str) -> str:
    """The Luhn mod 32 check character of a code body (upper-case alphabet characters)."""
    values = [_INDEX[char] for char in body]
    total = _luhn_sum(values, double_first=True)
    return ALPHABET[(_N - total % _N) % _N]


def generate() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_character(body)


def normalise(text: str) -> str:
    """A code as typed (any case, spaces, hyphens, O for 0, I or L for 1) in its stored form."""
    cleaned = "".join(char for char in text.upper() if char not in " -")
    return cleaned.translate(_SUBSTITUTES)


def is_well_formed(code: str) -> bool:
    """Right length, right alphabet, and the check character adds up (code normalised)."""
    if len(code) != CODE_LENGTH or any(char not in _INDEX for char in code):
        return False
    values = [_INDEX[char] for char in code]
    return _luhn_sum(values, double_first=False) % _N == 0


def display(code: str) -> str:
    """Grouped for reading: ABCDE-FGHJKM."""
    return f"{code[:5]}-{code[5:]}"
