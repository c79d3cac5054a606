"""Every regime of the shipped rules is explained to buyers in each language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.utils import translation

from ewtp.traderules.buyer_words import REGIME_EXPLANATIONS, note_words, regime_explanation

REGIMES = Path(__file__).resolve().parents[3] / "data" / "rules" / "regimes.json"


def _shipped_regime_ids() -> set[str]:
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if "id" in value and "name" in value:
                found.add(str(value["id"]))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads(REGIMES.read_text()))
    return found


def test_every_shipped_regime_has_an_explanation() -> None:
    ids = _shipped_regime_ids()
    assert len(ids) == 16
    assert ids | {"standard"} == set(REGIME_EXPLANATIONS)


@pytest.mark.parametrize("language", ["fr", "sw", "rw", "zh-hans"])
def test_each_explanation_is_translated(language: str) -> None:
    for regime_id in REGIME_EXPLANATIONS:
        english = regime_explanation({"id": regime_id, "name": "x"})
        with translation.override(language):
            local = regime_explanation({"id": regime_id, "name": "x"})
        assert local and local != english, (language, regime_id)


def test_an_unexplained_regime_shows_its_name_and_a_note_its_words() -> None:
    assert regime_explanation({"id": "zz-new", "name": "A new relief"}) == "A new relief"
    assert regime_explanation(None) == ""
    with translation.override("fr"):
        assert note_words({"code": "rates_not_verified", "message": "Some rates ..."}) == (
            "Certains des taux de ce prix ne sont pas encore vérifiés."
        )
    assert note_words({"code": "other", "message": "As written."}) == "As written."
