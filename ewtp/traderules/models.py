"""Trade-rule records: the HS nomenclature, the steward's working copy of the rule tables,
the published rule versions (frozen tables the quote engine reads) and exchange rates.

The working-copy models mirror the shipped files in ``data/rules/`` column for column, so that
an import and an export are lossless: rates stay decimal strings exactly as written, and every
row keeps its position in the file.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ewtp.core.currencies import is_currency

# Validators -----------------------------------------------------------------------------------

_DECIMAL = re.compile(r"^\d+(\.\d+)?$")
_HS_CODE = re.compile(r"^\d{2,10}$")
# A tariff line: a chapter, heading, subheading or national line (2, 4, 6, 8 or 10 digits).
_TARIFF_CODE = re.compile(r"^(\d\d){1,5}$")
_SOURCE_IDS = re.compile(r"^[A-Za-z0-9_-]+(;[A-Za-z0-9_-]+)*$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_TERRITORY = re.compile(r"^[A-Z]{2,10}$")
_IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def validate_decimal_string(value: str) -> None:
    """A non-negative plain decimal ("0.075", "12", "0.10"): no sign, exponent or spaces."""
    if not _DECIMAL.match(value):
        raise ValidationError(_("Enter a plain decimal number such as 0.075."), code="decimal")


def validate_hs_code(value: str) -> None:
    if not _HS_CODE.match(value):
        raise ValidationError(_("An HS code is 2 to 10 digits."), code="hs_code")


def validate_tariff_code(value: str) -> None:
    if not _TARIFF_CODE.match(value):
        raise ValidationError(
            _("A tariff code is 2, 4, 6, 8 or 10 digits (a national line is 8 or 10)."),
            code="tariff_code",
        )


def validate_hs_prefixes(value: str) -> None:
    """``*`` (every code), empty, or HS prefixes separated by spaces."""
    words = value.split()
    if words == ["*"]:
        return
    for word in words:
        if not word.isdigit():
            raise ValidationError(
                _("Use * or HS prefixes (digits) separated by spaces; %(word)s is not one."),
                code="hs_prefixes",
                params={"word": word},
            )


def validate_hs_prefix_or_star(value: str) -> None:
    if value != "*" and not (value.isdigit() and 2 <= len(value) <= 10):
        raise ValidationError(_("Use * or an HS prefix of 2 to 10 digits."), code="hs_prefix")


def validate_countries(value: str) -> None:
    """``*`` or ISO 3166-1 alpha-2 codes separated by spaces (empty allowed)."""
    words = value.split()
    if words == ["*"]:
        return
    for word in words:
        if not _COUNTRY.match(word):
            raise ValidationError(
                _("Use * or two-letter country codes separated by spaces; %(word)s is not one."),
                code="countries",
                params={"word": word},
            )


def validate_country(value: str) -> None:
    if not _COUNTRY.match(value):
        raise ValidationError(_("A two-letter country code, such as RW."), code="country")


def validate_territory(value: str) -> None:
    if not _TERRITORY.match(value):
        raise ValidationError(_("Upper-case letters, such as EU or RW."), code="territory")


def validate_currency(value: str) -> None:
    if not is_currency(value):
        raise ValidationError(_("Not an ISO 4217 currency code."), code="currency")


def validate_source_ids(value: str) -> None:
    if not _SOURCE_IDS.match(value):
        raise ValidationError(
            _("Source ids joined by semicolons, such as S09;S56."), code="source_ids"
        )


def validate_identifier(value: str) -> None:
    if not _IDENTIFIER.match(value):
        raise ValidationError(
            _("Lower-case letters, digits, dots, dashes and underscores."), code="identifier"
        )


def validate_single_line(value: str) -> None:
    if "\n" in value or "\r" in value:
        raise ValidationError(_("One line of text."), code="single_line")


class Confidence(models.TextChoices):
    HIGH = "high", _("high")
    MEDIUM = "medium", _("medium")
    LOW = "low", _("low")


# HS 2022 nomenclature (not versioned) ---------------------------------------------------------


class HsSection(models.Model):
    """One of the 21 sections of the Harmonized System (I to XXI)."""

    code = models.CharField(max_length=5, primary_key=True)
    name = models.TextField()
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        verbose_name = _("HS section")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class HsCode(models.Model):
    """A chapter (2 digits), heading (4) or subheading (6) of HS 2022."""

    class Level(models.IntegerChoices):
        CHAPTER = 2, _("chapter")
        HEADING = 4, _("heading")
        SUBHEADING = 6, _("subheading")

    code = models.CharField(max_length=6, primary_key=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    description = models.TextField()
    # Empty only for codes outside the sections (none once the pseudo-codes are dropped).
    section = models.ForeignKey(
        HsSection, null=True, blank=True, on_delete=models.PROTECT, related_name="codes"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("HS code")

    def __str__(self) -> str:
        return f"{self.dotted} {self.description}"

    @property
    def dotted(self) -> str:
        return f"{self.code[:4]}.{self.code[4:]}" if len(self.code) == 6 else self.code


# Published rule versions ----------------------------------------------------------------------


class RuleVersion(models.Model):
    """A frozen copy of every rule table; the newest one is in force.

    ``content`` holds ``{"tables": {name: [row, ...]}, "regimes": [[territory, [regime, ...]]]}``
    with rows in the exact shape of the shipped CSV files (every cell a string). Regimes are a
    list of pairs because PostgreSQL's jsonb does not keep the order of object keys.
    Exchange rates are not part of a version (see ExchangeRate and FxState).
    """

    label = models.CharField(max_length=20, unique=True)
    created_at = models.DateTimeField(db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    content = models.JSONField()
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("rule version")

    def __str__(self) -> str:
        return self.label


class PublicationRequest(models.Model):
    """A steward's request to publish the working copy, which a second steward approves (four
    eyes). The request pins the working copy it was made on (``content_digest``) and the version
    then in force (``based_on``): an approval publishes exactly what was asked for, or nothing."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second steward")
        APPROVED = "approved", _("Approved and published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    note = models.TextField(_("note"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    # The requester's rule-steward organisation; None when the platform operator asked.
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    based_on = models.CharField(max_length=20, blank=True)
    content_digest = models.CharField(max_length=64)
    changes = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    version = models.ForeignKey(
        RuleVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("publication request")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="pending"),
                name="publication_request_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"publication request {self.pk} ({self.status})"


# Working copy: what a steward edits before publishing -------------------------------------------


class TableRow:
    """What every working-copy row knows of its file.

    ``TABLE`` names the table (and file ``<TABLE>.csv``); ``COLUMNS`` lists the file's columns
    in order; ``KEY`` the columns that identify a row for the change summary; ``FIELD_FOR``
    the model field of a column whose name differs.
    """

    TABLE: ClassVar[str] = ""
    COLUMNS: ClassVar[tuple[str, ...]] = ()
    # Columns of the second edition that files of the first may lack (then: the default).
    OPTIONAL_COLUMNS: ClassVar[tuple[str, ...]] = ()
    KEY: ClassVar[tuple[str, ...]] = ()
    FIELD_FOR: ClassVar[dict[str, str]] = {}

    @classmethod
    def field_name(cls, column: str) -> str:
        return cls.FIELD_FOR.get(column, column)

    @classmethod
    def column_name(cls, field: str) -> str:
        for column, name in cls.FIELD_FOR.items():
            if name == field:
                return column
        return field

    def to_row(self) -> dict[str, str]:
        """The row as the CSV file writes it (every cell a string)."""
        row: dict[str, str] = {}
        for column in self.COLUMNS:
            value = getattr(self, self.field_name(column))
            if value is None:
                row[column] = ""
            elif isinstance(value, bool):
                row[column] = "true" if value else "false"
            elif isinstance(value, date):
                row[column] = value.isoformat()
            else:
                row[column] = str(value)
        return row

    def key_text(self) -> str:
        row = self.to_row()
        return " ".join(row[column] or "-" for column in self.KEY)


class RuleRow(TableRow, models.Model):
    """Common parts of the working-copy rows: file position, sources and confidence."""

    position = models.PositiveIntegerField(default=0, db_index=True)
    source = models.CharField(
        _("sources"),
        max_length=200,
        validators=[validate_source_ids],
        help_text=_("Source ids joined by semicolons, such as S09;S56 (see the sources page)."),
    )
    confidence = models.CharField(
        _("confidence"), max_length=10, choices=Confidence.choices, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.TABLE}: {self.key_text()}"

    def source_ids(self) -> list[str]:
        return [part for part in self.source.split(";") if part]


class DatedRuleRow(RuleRow):
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(
        _("valid to"), null=True, blank=True, help_text=_("Inclusive; empty means open-ended.")
    )

    class Meta(RuleRow.Meta):
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end date is before the start date.")})


class Territory(RuleRow):
    TABLE = "territories"
    COLUMNS = (
        "territory",
        "name",
        "customs_currency",
        "valuation_basis",
        "members",
        "source",
        "confidence",
    )
    KEY = ("territory",)

    class Basis(models.TextChoices):
        CIF = "CIF", "CIF"
        FOB = "FOB", "FOB"

    territory = models.CharField(_("territory"), max_length=10, validators=[validate_territory])
    name = models.CharField(_("name"), max_length=200, validators=[validate_single_line])
    customs_currency = models.CharField(
        _("customs currency"), max_length=3, validators=[validate_currency]
    )
    valuation_basis = models.CharField(_("valuation basis"), max_length=3, choices=Basis.choices)
    members = models.TextField(
        _("member countries"),
        validators=[validate_countries],
        help_text=_("Two-letter country codes separated by spaces."),
    )

    class Meta(RuleRow.Meta):
        verbose_name = _("territory")
        verbose_name_plural = _("territories")

    def member_list(self) -> list[str]:
        return self.members.split()


class TariffLine(DatedRuleRow):
    TABLE = "tariff_lines"
    COLUMNS = (
        "territory",
        "code",
        "description",
        "mfn_ad_valorem",
        "mfn_specific_amount",
        "mfn_specific_currency",
        "mfn_specific_per",
        "valid_from",
        "valid_to",
        "source",
        "confidence",
        "schedule",
        "computable",
        "not_computable_reason",
    )
    OPTIONAL_COLUMNS = ("schedule", "computable", "not_computable_reason")
    KEY = ("territory", "code", "valid_from")

    class Per(models.TextChoices):
        """The unit a specific duty is charged per (the engine's ``SPECIFIC_UNITS``)."""

        KG = "kg", _("per kg")
        KG100 = "100kg", _("per 100 kg")
        KG1000 = "1000kg", _("per 1000 kg (tonne)")
        ITEM = "item", _("per item")
        DOZEN = "dozen", _("per dozen items")
        ITEMS1000 = "1000items", _("per 1000 items")
        LITRE = "l", _("per litre")
        HECTOLITRE = "hl", _("per hectolitre")

    territory = models.CharField(_("territory"), max_length=10, db_index=True)
    code = models.CharField(_("HS code"), max_length=10, validators=[validate_tariff_code])
    description = models.CharField(
        _("description"), max_length=300, blank=True, validators=[validate_single_line]
    )
    mfn_ad_valorem = models.CharField(
        _("MFN ad valorem rate"),
        max_length=20,
        blank=True,
        validators=[validate_decimal_string],
        help_text=_("A decimal fraction: 0.075 is 7.5%. Empty where only a specific duty applies."),
    )
    mfn_specific_amount = models.CharField(
        _("MFN specific amount"), max_length=20, blank=True, validators=[validate_decimal_string]
    )
    mfn_specific_currency = models.CharField(
        _("specific duty currency"), max_length=3, blank=True, validators=[validate_currency]
    )
    mfn_specific_per = models.CharField(
        _("specific duty per"), max_length=10, blank=True, choices=Per.choices
    )
    schedule = models.CharField(
        _("schedule"),
        max_length=40,
        blank=True,
        db_index=True,
        validators=[validate_identifier],
        help_text=_(
            "Short id of the national schedule the line came from (eu-cn8-2020); "
            "empty for the curated lines."
        ),
    )
    computable = models.BooleanField(
        _("computable"),
        default=True,
        help_text=_("False where the engine cannot compute the duty (entry-price lines)."),
    )
    not_computable_reason = models.CharField(
        _("why not computable"), max_length=300, blank=True, validators=[validate_single_line]
    )

    class Meta(DatedRuleRow.Meta):
        verbose_name = _("tariff line")
        indexes = [models.Index(fields=["territory", "code"])]

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if not self.computable:
            if not self.not_computable_reason:
                errors["not_computable_reason"] = str(
                    _("Say why the duty of this line cannot be computed.")
                )
        elif self.not_computable_reason:
            errors["not_computable_reason"] = str(_("Only a line that is not computable has one."))
        elif not self.mfn_ad_valorem and not self.mfn_specific_amount:
            errors["mfn_ad_valorem"] = str(_("Give an ad valorem rate, a specific amount or both."))
        if self.mfn_specific_amount:
            if not self.mfn_specific_currency:
                errors["mfn_specific_currency"] = str(_("A specific duty needs its currency."))
            if not self.mfn_specific_per:
                errors["mfn_specific_per"] = str(_("A specific duty needs its unit."))
        elif self.mfn_specific_currency or self.mfn_specific_per:
            errors["mfn_specific_amount"] = str(_("Currency and unit need a specific amount."))
        if errors:
            raise ValidationError(errors)


class Preference(DatedRuleRow):
    TABLE = "preferences"
    COLUMNS = (
        "programme",
        "name",
        "territory",
        "origin",
        "hs_include",
        "hs_exclude",
        "rate",
        "proof",
        "valid_from",
        "valid_to",
        "source",
        "confidence",
    )
    KEY = ("programme", "territory", "valid_from")

    class Proof(models.TextChoices):
        STATEMENT = "statement_on_origin", _("statement on origin")
        CERTIFICATE = "certificate_of_origin", _("certificate of origin")

    programme = models.CharField(
        _("programme"), max_length=60, validators=[validate_identifier], db_index=True
    )
    name = models.CharField(_("name"), max_length=300, validators=[validate_single_line])
    territory = models.CharField(_("territory"), max_length=10)
    origin = models.TextField(
        _("origins"),
        validators=[validate_countries],
        help_text=_("Two-letter country codes separated by spaces, or *."),
    )
    hs_include = models.CharField(
        _("HS codes included"), max_length=500, blank=True, validators=[validate_hs_prefixes]
    )
    hs_exclude = models.CharField(
        _("HS codes excluded"), max_length=500, blank=True, validators=[validate_hs_prefixes]
    )
    rate = models.CharField(_("rate"), max_length=20, validators=[validate_decimal_string])
    proof = models.CharField(_("proof"), max_length=30, choices=Proof.choices, blank=True)

    class Meta(DatedRuleRow.Meta):
        verbose_name = _("preference")


class AdditionalDuty(DatedRuleRow):
    TABLE = "additional_duties"
    COLUMNS = (
        "measure",
        "name",
        "territory",
        "origins",
        "hs_include",
        "hs_exclude",
        "ad_valorem",
        "valid_from",
        "valid_to",
        "source",
        "confidence",
    )
    KEY = ("measure", "territory", "valid_from")

    measure = models.CharField(_("measure"), max_length=60, validators=[validate_identifier])
    name = models.CharField(_("name"), max_length=300, validators=[validate_single_line])
    territory = models.CharField(_("territory"), max_length=10)
    origins = models.TextField(_("origins"), validators=[validate_countries])
    hs_include = models.CharField(
        _("HS codes included"), max_length=500, blank=True, validators=[validate_hs_prefixes]
    )
    hs_exclude = models.CharField(
        _("HS codes excluded"), max_length=500, blank=True, validators=[validate_hs_prefixes]
    )
    ad_valorem = models.CharField(
        _("ad valorem rate"), max_length=20, validators=[validate_decimal_string]
    )

    class Meta(DatedRuleRow.Meta):
        verbose_name = _("additional duty")
        verbose_name_plural = _("additional duties")


class Tax(DatedRuleRow):
    TABLE = "taxes"
    COLUMNS = (
        "country",
        "kind",
        "hs_prefix",
        "rate",
        "valid_from",
        "valid_to",
        "source",
        "confidence",
        "rate_kind",
        "category",
    )
    OPTIONAL_COLUMNS = ("rate_kind", "category")
    KEY = ("country", "kind", "hs_prefix", "valid_from")

    class RateKind(models.TextChoices):
        STANDARD = "standard", _("standard")
        REDUCED = "reduced", _("reduced")
        SUPER_REDUCED = "super_reduced", _("super-reduced")
        ZERO = "zero", _("zero")
        EXEMPT = "exempt", _("exempt")

    class Kind(models.TextChoices):
        VAT = "vat", _("VAT")
        GST = "gst", _("GST")
        SALES_TAX = "sales_tax", _("sales tax")
        CONSUMPTION = "consumption", _("consumption tax")

    country = models.CharField(
        _("country"), max_length=2, validators=[validate_country], db_index=True
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    hs_prefix = models.CharField(
        _("HS prefix"),
        max_length=10,
        default="*",
        validators=[validate_hs_prefix_or_star],
        help_text=_("* for the default rate, else the HS prefix this rate applies to."),
    )
    rate = models.CharField(
        _("rate"),
        max_length=20,
        validators=[validate_decimal_string],
        help_text=_("A decimal fraction: 0.21 is 21%."),
    )
    rate_kind = models.CharField(
        _("rate kind"),
        max_length=20,
        blank=True,
        choices=RateKind.choices,
        help_text=_("Empty: standard for the * row, reduced for a prefix row (zero at rate 0)."),
    )
    category = models.CharField(
        _("category"),
        max_length=200,
        blank=True,
        validators=[validate_single_line],
        help_text=_("The category the law names for a reduced or zero rate (foodstuffs)."),
    )

    class Meta(DatedRuleRow.Meta):
        verbose_name = _("tax")
        verbose_name_plural = _("taxes")

    def clean(self) -> None:
        super().clean()
        if self.rate_kind == self.RateKind.STANDARD and self.category:
            raise ValidationError({"category": _("A standard rate names no category.")})
        if self.kind == self.Kind.CONSUMPTION and self.rate and _DECIMAL.match(self.rate):
            if Decimal(self.rate) >= 1:  # a consumption tax is levied on base / (1 - k)
                raise ValidationError({"rate": _("A consumption tax rate must be below 1.")})


class Fee(DatedRuleRow):
    TABLE = "fees"
    COLUMNS = (
        "fee",
        "country",
        "name",
        "ad_valorem",
        "exempt_origins",
        "in_tax_base",
        "valid_from",
        "valid_to",
        "source",
        "confidence",
        "minimum",
        "maximum",
        "currency",
        "per",
        "amount",
        "applies_over",
        "applies_up_to",
    )
    KEY = ("fee", "country", "valid_from")
    OPTIONAL_COLUMNS = (
        "minimum",
        "maximum",
        "currency",
        "per",
        "amount",
        "applies_over",
        "applies_up_to",
    )
    AMOUNT_COLUMNS: ClassVar[tuple[str, ...]] = (
        "minimum",
        "maximum",
        "amount",
        "applies_over",
        "applies_up_to",
    )

    class Per(models.TextChoices):
        CONSIGNMENT = "consignment", _("per consignment")

    fee = models.CharField(_("fee"), max_length=60, validators=[validate_identifier])
    country = models.CharField(_("country"), max_length=2, validators=[validate_country])
    name = models.CharField(_("name"), max_length=300, validators=[validate_single_line])
    ad_valorem = models.CharField(
        _("ad valorem rate"),
        max_length=20,
        blank=True,
        validators=[validate_decimal_string],
        help_text=_("A decimal fraction; empty for a flat fee (amount)."),
    )
    exempt_origins = models.TextField(
        _("exempt origins"), blank=True, validators=[validate_countries]
    )
    in_tax_base = models.BooleanField(_("joins the tax base"), default=False)
    minimum = models.CharField(
        _("minimum"), max_length=20, blank=True, validators=[validate_decimal_string]
    )
    maximum = models.CharField(
        _("maximum"), max_length=20, blank=True, validators=[validate_decimal_string]
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        blank=True,
        validators=[validate_currency],
        help_text=_("The currency of minimum, maximum, amount and the applies bounds."),
    )
    per = models.CharField(
        _("per"),
        max_length=20,
        blank=True,
        choices=Per.choices,
        help_text=_("Empty: per line; consignment: once per consignment."),
    )
    amount = models.CharField(
        _("flat amount"), max_length=20, blank=True, validators=[validate_decimal_string]
    )
    applies_over = models.CharField(
        _("applies over"),
        max_length=20,
        blank=True,
        validators=[validate_decimal_string],
        help_text=_("Only consignments whose customs value is above this amount."),
    )
    applies_up_to = models.CharField(
        _("applies up to"),
        max_length=20,
        blank=True,
        validators=[validate_decimal_string],
        help_text=_("Only consignments whose customs value is at most this amount."),
    )

    class Meta(DatedRuleRow.Meta):
        verbose_name = _("fee")

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if bool(self.ad_valorem) == bool(self.amount):
            errors["ad_valorem"] = str(_("Give either an ad valorem rate or a flat amount."))
        if self.amount and (self.minimum or self.maximum):
            errors["minimum"] = str(_("A flat fee has no minimum or maximum."))
        if not self.currency and any(getattr(self, name) for name in self.AMOUNT_COLUMNS):
            errors["currency"] = str(_("Amounts need their currency."))
        for low, high in (("minimum", "maximum"), ("applies_over", "applies_up_to")):
            low_text, high_text = getattr(self, low), getattr(self, high)
            if (
                low_text
                and high_text
                and _DECIMAL.match(low_text)
                and _DECIMAL.match(high_text)
                and Decimal(low_text) > Decimal(high_text)
            ):
                errors[high] = str(_("Below the lower bound."))
        if errors:
            raise ValidationError(errors)


class DocumentRequirement(RuleRow):
    TABLE = "documents"
    COLUMNS = ("territory", "hs_prefix", "document", "when", "source", "confidence")
    KEY = ("territory", "hs_prefix", "document", "when")

    class When(models.TextChoices):
        ALWAYS = "always", _("always")
        PREFERENCE = "preference", _("when a preference is applied")

    territory = models.CharField(_("territory"), max_length=10)
    hs_prefix = models.CharField(
        _("HS prefix"), max_length=10, default="*", validators=[validate_hs_prefix_or_star]
    )
    document = models.CharField(_("document"), max_length=60, validators=[validate_identifier])
    when = models.CharField(_("when"), max_length=12, choices=When.choices)

    class Meta(RuleRow.Meta):
        verbose_name = _("document requirement")


class LowValueRegime(RuleRow):
    """One low-value regime of a territory; ``position`` is its evaluation order."""

    TABLE = "regimes"
    COLUMNS = (
        "territory",
        "id",
        "name",
        "valid_from",
        "valid_to",
        "conditions",
        "treatment",
        "source",
        "confidence",
    )
    KEY = ("territory", "id")
    FIELD_FOR: ClassVar[dict[str, str]] = {"id": "regime_id", "fees_exempt": "extra"}

    territory = models.CharField(_("territory"), max_length=10)
    regime_id = models.CharField(_("regime id"), max_length=60, validators=[validate_identifier])
    name = models.TextField(_("name"), validators=[validate_single_line])
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    treatment = models.JSONField(_("treatment"), default=dict, blank=True)
    # Keys of the regime object the columns above do not name, kept for a lossless export.
    extra = models.JSONField(default=dict, blank=True)

    class Meta(RuleRow.Meta):
        verbose_name = _("low-value regime")

    def clean(self) -> None:
        super().clean()
        if self.regime_id == "standard":
            raise ValidationError({"regime_id": _("'standard' is reserved.")})
        if not isinstance(self.conditions, dict):
            raise ValidationError({"conditions": _("Conditions are a JSON object.")})
        if not isinstance(self.treatment, dict):
            raise ValidationError({"treatment": _("The treatment is a JSON object.")})
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end date is before the start date.")})
        exempt = (self.extra or {}).get("fees_exempt", [])
        if not isinstance(exempt, list) or not all(
            isinstance(item, str) and _IDENTIFIER.match(item) for item in exempt
        ):
            # Reported under the regimes.json key (FIELD_FOR maps it to ``extra``).
            raise ValidationError({"extra": _("fees_exempt: a list of fee ids, such as us-mpf.")})

    def fees_exempt(self) -> list[str]:
        """Fee ids not charged under the regime (regimes.json ``fees_exempt``)."""
        return list((self.extra or {}).get("fees_exempt", []))

    def to_object(self) -> dict[str, Any]:
        """The regime as regimes.json writes it."""
        return {
            "id": self.regime_id,
            "name": self.name,
            "valid_from": self.valid_from.isoformat() if self.valid_from else "",
            "valid_to": self.valid_to.isoformat() if self.valid_to else "",
            "conditions": self.conditions,
            "treatment": self.treatment,
            # regimes.json puts fees_exempt after the treatment (an unknown key at the end).
            **{key: value for key, value in (self.extra or {}).items() if key == "fees_exempt"},
            "source": self.source,
            "confidence": self.confidence,
            **{key: value for key, value in (self.extra or {}).items() if key != "fees_exempt"},
        }


class Source(TableRow, models.Model):
    """One row of SOURCES.csv: where a figure comes from."""

    TABLE: ClassVar[str] = "sources"
    COLUMNS: ClassVar[tuple[str, ...]] = ("id", "what", "where")
    KEY: ClassVar[tuple[str, ...]] = ("id",)
    FIELD_FOR: ClassVar[dict[str, str]] = {"id": "code"}

    position = models.PositiveIntegerField(default=0, db_index=True)
    code = models.CharField(_("id"), max_length=20, unique=True, validators=[validate_source_ids])
    what = models.TextField(_("what"), validators=[validate_single_line])
    where = models.TextField(_("where"), blank=True, validators=[validate_single_line])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("source")

    def __str__(self) -> str:
        return f"{self.code} {self.what}"


# Exchange rates (outside the rule versions) ----------------------------------------------------


class ExchangeRate(models.Model):
    """Units of ``currency`` per 1 EUR on ``date``, as published by ``source``."""

    class Origin(models.TextChoices):
        ECB = "ecb", _("ECB reference rate")
        RULE_TABLE = "rule_table", _("rule table (fx_rates.csv)")
        OPERATOR = "operator", _("entered by an operator")

    date = models.DateField(_("date"))
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    units_per_eur = models.DecimalField(_("units per EUR"), max_digits=24, decimal_places=10)
    # The rate exactly as published ("1697.50"), for a lossless export.
    rate_text = models.CharField(max_length=40)
    source = models.CharField(_("source"), max_length=300)
    confidence = models.CharField(
        _("confidence"), max_length=10, choices=Confidence.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    origin = models.CharField(_("origin"), max_length=12, choices=Origin.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "currency", "origin"], name="exchange_rate_date_currency_origin"
            ),
            models.CheckConstraint(
                condition=models.Q(units_per_eur__gt=0), name="exchange_rate_positive"
            ),
        ]
        indexes = [models.Index(fields=["currency", "date"])]
        verbose_name = _("exchange rate")

    def __str__(self) -> str:
        return f"{self.date} {self.currency} {self.rate_text} ({self.origin})"


class FxState(models.Model):
    """One row: the revision of the exchange-rate data, raised by every FX change.

    The quote snapshot is keyed by (rule version, FX revision), so a new rate needs no new
    rules version. Publishing and importing also lock this row to serialise themselves.
    """

    revision = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("exchange-rate state")

    def __str__(self) -> str:
        return f"FX revision {self.revision}"


RULE_MODELS: tuple[type[RuleRow], ...] = (
    Territory,
    TariffLine,
    Preference,
    AdditionalDuty,
    Tax,
    Fee,
    DocumentRequirement,
)
