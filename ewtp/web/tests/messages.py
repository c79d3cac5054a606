"""Tests that read translated pages need the compiled catalogues (`make messages` builds them;
this does the same for a bare pytest run, and makes Django see catalogues built meanwhile)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def ensure_compiled() -> None:
    compiled = 0
    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog)
        compiled += 1
    if compiled:
        from django.utils.translation import trans_real

        trans_real._translations = {}
        # The cached lookups behind check_for_language and get_supported_language_variant
        # (their names differ between Django versions).
        for name in (
            "check_for_language",
            "translation_catalog_exists",
            "get_languages",
            "get_supported_language_variant",
            "_get_supported_language_variant",
        ):
            cached = getattr(trans_real, name, None)
            if hasattr(cached, "cache_clear"):
                cached.cache_clear()
