"""Declarations (export and import) per parcel, the officers' decisions on them, and the
reference data they need: which authority handles which country, traders' customs numbers,
the SDR rate (CN 22 / CN 23 threshold) and a dated list of restricted HS codes.

A declaration stores the data set exactly as submitted (built from the order's stored quote,
validated against its field rules); decisions are append-only.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ewtp.accounts.models import Organisation
from ewtp.core.money import Money
from ewtp.logistics.models import Parcel
from ewtp.orders.models import Order


class Jurisdiction(models.Model):
    """A customs authority on the platform handles exports from, or imports into, a country."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")
        IMPORT = "import", _("Import")

    authority = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="jurisdictions"
    )
    country = models.CharField(max_length=2)
    kind = models.CharField(max_length=6, choices=Kind.choices)
    office_code = models.CharField(_("customs office code"), max_length=17)
    office_name = models.CharField(_("customs office"), max_length=200)

    class Meta:
        ordering = ["country", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["country", "kind"], name="jurisdiction_unique")
        ]

    def __str__(self) -> str:
        return f"{self.authority} {self.kind} {self.country}"


class TraderProfile(models.Model):
    """An organisation's customs numbers: a seller's TIN, the platform's EORI and IOSS, ..."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="trader_profile"
    )
    address = models.TextField(_("address"), blank=True)  # lines, for the papers
    city = models.CharField(_("city"), max_length=100, blank=True)
    tin = models.CharField(_("tax identification number (TIN)"), max_length=20, blank=True)
    eori = models.CharField(_("EORI number"), max_length=17, blank=True)
    ioss_number = models.CharField(_("IOSS number"), max_length=12, blank=True)
    cn_registration_code = models.CharField(
        _("China customs registration code"), max_length=18, blank=True
    )
    us_importer_number = models.CharField(
        _("US importer of record number"), max_length=20, blank=True
    )
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"customs numbers of {self.organisation}"


class SdrRate(models.Model):
    """Units of a currency per one Special Drawing Right (IMF), on a date, with its source."""

    currency = models.CharField(max_length=3)
    units_per_sdr = models.DecimalField(max_digits=18, decimal_places=6)
    valid_on = models.DateField()
    source = models.CharField(max_length=300)

    class Meta:
        ordering = ["currency", "-valid_on"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_on"], name="sdr_rate_unique"),
            models.CheckConstraint(condition=Q(units_per_sdr__gt=0), name="sdr_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 SDR = {self.units_per_sdr} {self.currency} on {self.valid_on}"


class RestrictedGoods(models.Model):
    """An HS prefix that needs a licence or is prohibited, with validity dates and source."""

    hs_prefix = models.CharField(max_length=10)
    countries = models.CharField(max_length=200, blank=True)  # space-separated; empty = all
    applies_to = models.CharField(max_length=6)  # export, import or both
    reason = models.CharField(max_length=300)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)  # inclusive; empty = open
    source = models.CharField(max_length=300)

    class Meta:
        ordering = ["hs_prefix", "valid_from"]
        verbose_name_plural = "restricted goods"
        constraints = [
            models.UniqueConstraint(
                fields=["hs_prefix", "applies_to", "countries", "valid_from"],
                name="restricted_goods_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.hs_prefix}: {self.reason}"


class Declaration(models.Model):
    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")
        IMPORT = "import", _("Import")

    class Dataset(models.TextChoices):
        RW_EXPORT = "rw_asycuda_export", _("Rwanda single window export (ASYCUDA SAD)")
        EU_H7 = "eu_h7", _("EU low-value import (H7)")
        CN_9610 = "cn_9610", _("China cross-border retail import (9610)")
        US_TYPE_11 = "us_type11", _("US informal entry (type 11)")
        WCO = "wco_generic", _("Generic declaration (WCO data model)")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        INSPECTION = "inspection", _("Under inspection")
        HELD = "held", _("Held")
        RELEASED = "released", _("Released")
        REJECTED = "rejected", _("Rejected")
        LODGED = "lodged", _("Lodged outside the platform")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("local reference number"), max_length=22, unique=True)
    parcel = models.ForeignKey(Parcel, on_delete=models.PROTECT, related_name="declarations")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="declarations")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    dataset = models.CharField(max_length=20, choices=Dataset.choices)
    authority = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="declarations",
    )
    country = models.CharField(max_length=2)  # of export, or of import (the destination)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    data = models.JSONField()  # the data set as submitted
    value_minor = models.BigIntegerField()  # declared goods value, for the queue's filters
    currency = models.CharField(max_length=3)
    risk_flags = models.JSONField(default=list)  # [{"code", "message", "line"?}]
    origin_statement = models.TextField(blank=True)  # where a preference was used
    is_origin_statement_made = models.BooleanField(default=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(db_index=True)
    released_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    hold_reason = models.CharField(max_length=40, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(
                fields=["authority", "status", "-submitted_at"], name="declaration_queue_idx"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["parcel", "kind"], name="declaration_parcel_kind_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"

    @property
    def value(self) -> Money:
        return Money.from_minor(self.value_minor, self.currency)

    @property
    def is_decided(self) -> bool:
        return self.status in {self.Status.RELEASED, self.Status.REJECTED, self.Status.LODGED}


class Decision(models.Model):
    """An officer's decision on a declaration. Append-only."""

    class Action(models.TextChoices):
        RELEASE = "release", _("Release")
        HOLD = "hold", _("Hold")
        INSPECT = "inspect", _("Inspect")
        REJECT = "reject", _("Reject")

    class Reason(models.TextChoices):
        DOCUMENTS_MISSING = "documents_missing", _("Documents missing")
        VALUATION = "valuation", _("Value to be justified")
        CLASSIFICATION = "classification", _("HS classification to be checked")
        ORIGIN = "origin", _("Proof of origin to be checked")
        RESTRICTED = "restricted", _("Restricted goods: licence needed")
        WEIGHT = "weight", _("Weight does not match the contents")
        PROHIBITED = "prohibited", _("Prohibited goods")
        OTHER = "other", _("Other")

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="decisions")
    action = models.CharField(max_length=8, choices=Action.choices)
    reason = models.CharField(max_length=40, choices=Reason.choices, blank=True)
    note = models.TextField(blank=True)
    from_status = models.CharField(max_length=12)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.declaration_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("decisions are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
