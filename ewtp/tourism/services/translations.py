"""Writes of an experience's texts in other languages, by its operator's managers."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ewtp.accounts.selectors import require_role
from ewtp.core.errors import InvalidRequest
from ewtp.core.services import audit_record
from ewtp.core.translations import (
    DESCRIPTION,
    TITLE,
    TextField,
    translations_clean,
    translations_write,
)
from ewtp.tourism.models import Experience, ExperienceTranslation
from ewtp.tourism.services.common import MANAGER_ROLES

# The texts an operator translates (the fields of ExperienceTranslation).
EXPERIENCE_TEXTS = (
    TITLE,
    DESCRIPTION,
    TextField("meeting_point", gettext_lazy("Meeting point"), 300),
    TextField("rules", gettext_lazy("Rules")),
)


@transaction.atomic
def experience_translations_set(
    *, actor: object, experience: Experience, translations: dict[str, dict[str, str]]
) -> dict[str, list[str]]:
    """Set or clear the experience's texts per language (a language given with every text
    empty is cleared); returns the languages set and cleared. Nothing is written on an error."""
    require_role(actor, experience.operator, MANAGER_ROLES)
    cleaned, errors = translations_clean(translations, EXPERIENCE_TEXTS)
    if errors:
        raise InvalidRequest(
            "invalid_request", _("Some translations need a correction."), fields=errors
        )
    changed = translations_write(ExperienceTranslation, "experience", experience, cleaned)
    if changed["set"] or changed["cleared"]:
        audit_record(
            actor=actor,
            action="tourism.experience.translations_changed",
            target=experience,
            organisation_ref=str(experience.operator.public_id),
            data=changed,
        )
    return changed
