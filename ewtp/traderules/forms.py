"""Forms of the trade-rule pages: they check shape only; services and the engine decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import ModelForm, modelform_factory
from django.utils.translation import gettext_lazy as _

from ewtp.traderules.models import LowValueRegime, RuleRow, Source
from ewtp.traderules.rates import PERCENT_COLUMNS, fraction_from_percent, percent_text

# Working-copy fields a steward does not type: file order and bookkeeping.
_NOT_EDITED = {"id", "position", "updated_at", "extra"}


def row_form_class(model: type[RuleRow] | type[Source]) -> type[ModelForm[Any]]:
    """A ModelForm of a working-copy table, fields in the file's column order."""
    fields = [model.field_name(column) for column in model.COLUMNS]
    fields = [name for name in fields if name not in _NOT_EDITED]
    widgets: dict[str, Any] = {
        # ISO whatever the page's language: a date input reads only YYYY-MM-DD (a French
        # "01/01/2025" left the field empty and the row lost its start date).
        "valid_from": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        "valid_to": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    }
    for name in ("members", "origin", "origins", "exempt_origins", "what", "where", "name"):
        widgets[name] = forms.TextInput(attrs={"size": 60})
    if model is LowValueRegime:
        widgets["conditions"] = forms.Textarea(attrs={"rows": 8, "cols": 60})
        widgets["treatment"] = forms.Textarea(attrs={"rows": 6, "cols": 60})
    percent = tuple(
        model.field_name(column) for column in PERCENT_COLUMNS.get(getattr(model, "TABLE", ""), ())
    )
    return modelform_factory(
        model,
        form=type("RowForm", (RowForm,), {"percent_fields": percent}),
        fields=fields,
        widgets=widgets,
    )


class RowForm(ModelForm):  # type: ignore[type-arg]
    """A working-copy row: rates are typed and shown in percent ("6" is 6%), stored as the
    tables' decimal fractions ("0.06")."""

    percent_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stored = {
            name: getattr(self.instance, name, "") or "" for name in self.percent_fields
        }
        for name in self.percent_fields:
            field = self.fields[name]
            field.label = _("%(label)s (%%)") % {"label": field.label}
            field.help_text = _("In percent: 6 is 6%, 5.5 is 5.5%.")
            field.widget.attrs.update({"inputmode": "decimal", "size": 8})
            if not self.is_bound:
                self.initial[name] = percent_text(self._stored[name])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.percent_fields:
            if name not in cleaned:
                continue
            try:
                cleaned[name] = fraction_from_percent(
                    cleaned[name] or "", previous=self._stored[name]
                )
            except ValueError:
                self.add_error(name, _("Enter a percentage such as 6 or 5.5."))
        return cleaned


class PublishForm(forms.Form):
    note = forms.CharField(
        label=_("What does this version change, and why?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class ExchangeRateForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    currency = forms.CharField(
        label=_("Currency"), max_length=3, help_text=_("ISO 4217 code, such as RWF or KES.")
    )
    units_per_eur = forms.CharField(
        label=_("Units per 1 EUR"),
        max_length=30,
        help_text=_("As published, for example 1697.50 (RWF per EUR)."),
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=300,
        help_text=_("Where the rate comes from: the publisher and the page or document."),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ScheduleUploadForm(forms.Form):
    """A new file for one national tariff schedule (checked, then shown before publishing)."""

    schedule = forms.ChoiceField(label=_("Schedule"))
    file = forms.FileField(label=_("Schedule file (CSV)"))
    schedule_date = forms.CharField(
        label=_("Date of the new schedule"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: the date of the schedule in force."),
    )

    def __init__(self, *args: Any, schedules: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["schedule"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = schedules


class SchedulePublishForm(forms.Form):
    """Publish a checked schedule file (kept on the server under ``token``)."""

    token = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
    schedule = forms.CharField(widget=forms.HiddenInput)
    schedule_date = forms.CharField(widget=forms.HiddenInput, required=False)
    file_name = forms.CharField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(
        label=_("What this version changes"), max_length=500, widget=forms.TextInput
    )
