"""Per-language texts of content (products, experiences, programmes, courses): the form fields
sellers and operators fill, their validation and writing, and the pick of a text in the
reader's language that falls back to the original.

A translation model has a foreign key to its parent, ``language`` and the translated text
fields; the parent reaches them as ``translations`` (prefetch them to keep pages bounded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


@dataclass(frozen=True)
class TextField:
    """One translatable text: its name on the model, its label, its longest length (``None``
    for a long text, shown as a text area)."""

    name: str
    label: Any
    max_length: int | None = None


TITLE = TextField("title", _("Title"), 200)
SUMMARY = TextField("summary", _("Summary"), 400)
DESCRIPTION = TextField("description", _("Description"))


def field_name(text: TextField, code: str) -> str:
    return f"{text.name}_{code}"


def add_translation_fields(form: forms.Form, texts: tuple[TextField, ...]) -> None:
    """Add ``<text>_<language>`` fields to ``form`` for every language of the site."""
    for code, name in settings.LANGUAGES:
        for text in texts:
            label = _("%(text)s in %(language)s") % {"text": text.label, "language": name}
            if text.max_length is None:
                field: forms.Field = forms.CharField(
                    label=label, widget=forms.Textarea(attrs={"rows": 3}), required=False
                )
            else:
                field = forms.CharField(label=label, max_length=text.max_length, required=False)
            form.fields[field_name(text, code)] = field


@dataclass
class LanguageSection:
    """The fields of one language, for the translations template (one ``<details>`` each)."""

    code: str
    name: str
    fields: list[forms.BoundField]

    @property
    def has_errors(self) -> bool:
        return any(field.errors for field in self.fields)

    @property
    def is_filled(self) -> bool:
        return any(str(field.value() or "").strip() for field in self.fields)


def language_sections(form: forms.Form, texts: tuple[TextField, ...]) -> list[LanguageSection]:
    return [
        LanguageSection(code, str(name), [form[field_name(text, code)] for text in texts])
        for code, name in settings.LANGUAGES
    ]


def translations_from_form(
    cleaned_data: dict[str, Any], texts: tuple[TextField, ...]
) -> dict[str, dict[str, str]]:
    """Every language's texts as typed (empty texts included: they clear a translation)."""
    return {
        code: {text.name: str(cleaned_data.get(field_name(text, code)) or "") for text in texts}
        for code in language_codes()
    }


def translations_initial(translations: Any, texts: tuple[TextField, ...]) -> dict[str, str]:
    """A form's initial values from the saved translation rows."""
    initial: dict[str, str] = {}
    for row in translations:
        for text in texts:
            initial[field_name(text, row.language)] = getattr(row, text.name, "") or ""
    return initial


def translations_clean(
    given: dict[str, dict[str, str]],
    texts: tuple[TextField, ...],
    *,
    required: str = "title",
) -> tuple[dict[str, dict[str, str] | None], dict[str, str]]:
    """(texts by language, ``None`` for a translation to clear; errors by form field).

    An unknown language is refused; a text needs the ``required`` one (a description without
    a title would show an untitled page); lengths are checked.
    """
    known = language_codes()
    by_name = {text.name: text for text in texts}
    cleaned: dict[str, dict[str, str] | None] = {}
    errors: dict[str, str] = {}
    for code, values in given.items():
        if code not in known:
            errors[f"{required}_{code}"] = gettext("Unknown language: %(code)s.") % {
                "code": str(code)[:20]
            }
            continue
        unknown_fields = set(values) - set(by_name)
        if unknown_fields:
            errors[f"{required}_{code}"] = gettext("Unknown text: %(name)s.") % {
                "name": ", ".join(sorted(unknown_fields))[:60]
            }
            continue
        row = {name: str(values.get(name) or "").strip() for name in by_name}
        if not any(row.values()):
            cleaned[code] = None
            continue
        if not row.get(required):
            errors[f"{required}_{code}"] = gettext("A translation needs its title too.")
            continue
        for name, value in row.items():
            limit = by_name[name].max_length
            if limit is not None and len(value) > limit:
                errors[f"{name}_{code}"] = gettext("At most %(count)d characters.") % {
                    "count": limit
                }
        cleaned[code] = row
    return cleaned, errors


def translations_write(
    model: type[models.Model], parent_field: str, parent: models.Model, cleaned: dict[str, Any]
) -> dict[str, list[str]]:
    """Write ``translations_clean``'s result for ``parent``: (languages set, languages
    cleared), only those that changed. Call inside the service's transaction."""
    current = {row.language: row for row in model._default_manager.filter(**{parent_field: parent})}  # type: ignore[attr-defined]
    changed: dict[str, list[str]] = {"set": [], "cleared": []}
    for code, values in sorted(cleaned.items()):
        row = current.get(code)
        if values is None:
            if row is not None:
                row.delete()
                changed["cleared"].append(code)
            continue
        if row is None:
            model._default_manager.create(**{parent_field: parent, "language": code}, **values)
            changed["set"].append(code)
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.save()
            changed["set"].append(code)
    return changed


def text_in(item: Any, name: str, language: str | None) -> str:
    """``item``'s text ``name`` in ``language`` when translated, else the original.

    Reads ``item.translations.all()``: prefetch it for lists. ``zh-hans`` also matches a
    translation saved as ``zh``, and the reverse, by the base language.
    """
    original = str(getattr(item, name, "") or "")
    code = (language or "").lower()
    if not code:
        return original
    base = code.split("-")[0]
    fallback = ""
    for row in item.translations.all():
        value = str(getattr(row, name, "") or "")
        if not value:
            continue
        if row.language == code:
            return value
        if row.language.split("-")[0] == base:
            fallback = value
    return fallback or original


class TranslationsForm(forms.Form):
    """A form of translations only (shape: lengths); the service validates the rest."""

    def __init__(self, *args: Any, texts: tuple[TextField, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.texts = texts
        add_translation_fields(self, texts)

    def sections(self) -> list[LanguageSection]:
        return language_sections(self, self.texts)

    def translations(self) -> dict[str, dict[str, str]]:
        return translations_from_form(self.cleaned_data, self.texts)

    def add_errors(self, fields: dict[str, str]) -> None:
        """A service's errors by field; those of no field (an unknown language) on the form."""
        for name, message in fields.items():
            self.add_error(name if name in self.fields else None, message)
