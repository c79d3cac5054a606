"""Writes of programme and course texts in other languages, by the programme's managers."""

from __future__ import annotations

from django.db import transaction

from ewtp.core.errors import InvalidRequest
from ewtp.core.translations import (
    DESCRIPTION,
    SUMMARY,
    TITLE,
    translations_clean,
    translations_write,
)
from ewtp.learning.models import Course, CourseTranslation, Programme, ProgrammeTranslation
from ewtp.learning.services.common import _audit, require_manager

# The texts a provider translates, for programmes and courses alike.
LEARNING_TEXTS = (TITLE, SUMMARY, DESCRIPTION)


def _cleaned(given: dict[str, dict[str, str]]) -> dict[str, dict[str, str] | None]:
    from django.utils.translation import gettext

    cleaned, errors = translations_clean(given, LEARNING_TEXTS)
    if errors:
        raise InvalidRequest(
            "invalid_request", gettext("Some translations need a correction."), fields=errors
        )
    return cleaned


@transaction.atomic
def programme_translations_set(
    *, actor: object, programme: Programme, translations: dict[str, dict[str, str]]
) -> dict[str, list[str]]:
    """Set or clear the programme's texts per language (a language given with every text
    empty is cleared); returns the languages set and cleared. Nothing is written on an error."""
    require_manager(actor, programme)
    cleaned = _cleaned(translations)
    changed = translations_write(ProgrammeTranslation, "programme", programme, cleaned)
    if changed["set"] or changed["cleared"]:
        _audit(actor, "learning.programme.translations_changed", programme, programme, **changed)
    return changed


@transaction.atomic
def course_translations_set(
    *, actor: object, course: Course, translations: dict[str, dict[str, str]]
) -> dict[str, list[str]]:
    """As ``programme_translations_set``, for one course of the programme."""
    programme = course.programme
    require_manager(actor, programme)
    cleaned = _cleaned(translations)
    changed = translations_write(CourseTranslation, "course", course, cleaned)
    if changed["set"] or changed["cleared"]:
        _audit(actor, "learning.course.translations_changed", course, programme, **changed)
    return changed
