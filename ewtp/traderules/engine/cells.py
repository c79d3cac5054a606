"""CSV cells a spreadsheet would run as a formula (CSV injection): neutralised on export by a
leading apostrophe, restored on import, so that exported files round-trip.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to a
spreadsheet; a plain number (``-0.5``, ``+3``) is not and stays as it is.
"""

from __future__ import annotations

import re

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(cell: str) -> str:
    """The cell as written to a CSV file: a formula-like cell gets a leading apostrophe."""
    if cell.startswith(_FORMULA_STARTS) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def restore(cell: str) -> str:
    """The cell as it was before :func:`neutralise` (other cells are left as they are)."""
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_STARTS):
        return cell[1:]
    return cell
