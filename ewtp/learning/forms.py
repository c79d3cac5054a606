"""Forms of learning: shape only; the services validate the rest (eligibility, answers, scores)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ewtp.accounts.models import Organisation
from ewtp.core.countries import country_name
from ewtp.learning.models import Application, ApplicationQuestion, Programme, RubricCriterion


def country_choices(codes: list[str] | None = None) -> list[tuple[str, str]]:
    import pycountry

    language = get_language() or "en"
    all_codes = codes or [str(country.alpha_2) for country in pycountry.countries]
    return sorted(
        ((code, country_name(code, language)) for code in all_codes), key=lambda item: item[1]
    )


def question_field_name(key: str) -> str:
    return f"q_{key}"


class ApplicationForm(forms.Form):
    """The programme's own form: the standard fields its eligibility rules need, then its
    questions."""

    business_name = forms.CharField(label=_("Business name"), max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        programme: Programme,
        organisations: list[Organisation] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.fields["country"] = forms.ChoiceField(
            label=_("Country where you live"), choices=[("", "—"), *country_choices()]
        )
        rules = programme.eligibility
        if rules.asks_age:
            self.fields["birth_date"] = forms.DateField(
                label=_("Date of birth"),
                widget=forms.DateInput(attrs={"type": "date"}),
                required=False,
            )
        self.fields["business_stage"] = forms.ChoiceField(
            label=_("Stage of your business"),
            choices=[("", "—"), *Application.Stage.choices],
            required=False,
        )
        if organisations:
            self.fields["organisation"] = forms.ChoiceField(
                label=_("Your business on eWTP"),
                choices=[("", _("Not on eWTP")), *((o.slug, o.name) for o in organisations)],
                required=False,
            )
        self.questions = list(programme.questions.all())
        for question in self.questions:
            self.fields[question_field_name(question.key)] = self._field_for(question)

    @staticmethod
    def _field_for(question: ApplicationQuestion) -> forms.Field:
        common: dict[str, Any] = {
            "label": question.label,
            "help_text": question.help_text,
            "required": False,  # the service says what is missing, next to the field
        }
        kind = question.kind
        if kind == ApplicationQuestion.Kind.LONG_TEXT:
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), **common)
        if kind == ApplicationQuestion.Kind.CHOICE:
            options = [("", "—"), *((str(c), str(c)) for c in question.choices or [])]
            return forms.ChoiceField(choices=options, **common)
        if kind == ApplicationQuestion.Kind.NUMBER:
            return forms.CharField(widget=forms.NumberInput(attrs={"step": "any"}), **common)
        if kind == ApplicationQuestion.Kind.DATE:
            return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        return forms.CharField(max_length=300, **common)

    @classmethod
    def initial_of(cls, application: Application) -> dict[str, Any]:
        """The form filled with an application, to edit it."""
        initial: dict[str, Any] = {
            "business_name": application.business_name,
            "country": application.country,
            "birth_date": application.birth_date,
            "business_stage": application.business_stage,
            "organisation": application.organisation.slug if application.organisation else "",
        }
        for key, value in (application.answers or {}).items():
            initial[question_field_name(key)] = value
        return initial

    def answers(self) -> dict[str, object]:
        return {
            question.key: self.cleaned_data.get(question_field_name(question.key), "")
            for question in self.questions
        }

    def field_for_error(self, name: str) -> str | None:
        """The form field a service error names (answers.<key> -> q_<key>)."""
        if name.startswith("answers."):
            name = question_field_name(name.removeprefix("answers."))
        return name if name in self.fields else None


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment for the selection panel"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )

    def __init__(self, *args: Any, criteria: list[RubricCriterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"score_{criterion.key}"] = forms.IntegerField(
                label=_("%(label)s (0 to %(max)d, weight %(weight)d)")
                % {
                    "label": criterion.label,
                    "max": criterion.max_score,
                    "weight": criterion.weight,
                },
                help_text=criterion.description,
                min_value=0,
                max_value=criterion.max_score,
                widget=forms.NumberInput(attrs={"min": 0, "max": criterion.max_score}),
            )
        self.order_fields([f"score_{c.key}" for c in criteria] + ["comment"])

    def scores(self) -> dict[str, object]:
        return {c.key: self.cleaned_data.get(f"score_{c.key}") for c in self.criteria}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            (Application.Status.ACCEPTED, _("Accept")),
            (Application.Status.WAITLISTED, _("Waitlist")),
            (Application.Status.REJECTED, _("Reject")),
        ]
    )
    note = forms.CharField(required=False, max_length=1000)
    # Accepting before every assigned review is in: confirmed, with the reason.
    confirm = forms.BooleanField(required=False)
    fewer_reviews_reason = forms.CharField(required=False, max_length=2000)


class ConflictForm(forms.Form):
    reason = forms.CharField(label=_("Why (kept private)"), max_length=300, required=False)


class InviteForm(forms.Form):
    emails = forms.CharField(
        label=_("Email addresses, one a line"), widget=forms.Textarea(attrs={"rows": 4})
    )

    def addresses(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["emails"].splitlines() if line.strip()]


class CertificateFindForm(forms.Form):
    code = forms.CharField(label=_("Certificate code"), max_length=40)
