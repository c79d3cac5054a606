"""Template filters that put codes in words (see ewtp.core.wording)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from ewtp.core import wording

register = template.Library()


@register.filter
def code_label(code: str) -> str:
    """``{{ flag.code|code_label }}``: a few words for a badge or an option."""
    return wording.label(str(code))


@register.filter
def flag_sentence(flag: Mapping[str, Any]) -> str:
    """``{{ flag|flag_sentence }}``: a stored risk flag as a sentence."""
    return wording.flag_sentence(flag)


@register.filter
def code_sentence(code: str) -> str:
    return wording.sentence(str(code))
