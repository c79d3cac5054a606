"""Tourism: parks, experiences, dated capacity, price tiers, bookings, vouchers' check-ins.

Capacity of a day lives in one ``DailyCapacity`` row per experience and date, created lazily
on the first booking (or when the operator sets an exception); places are taken with one
conditional UPDATE on that row (services.capacity_take), so a day never oversells.
Texts are written in English and translated per field (``ExperienceTranslation``).
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ewtp.accounts.models import Organisation
from ewtp.core.money import Money

RATE_VALIDATORS = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))]


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("Not an IANA time zone: %(zone)s"), params={"zone": value}
        ) from None


class Park(models.Model):
    """A protected area; the communities around it receive a share of its revenue."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, default="RW")
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Africa/Kigali", validators=[validate_time_zone]
    )
    # Rwanda shares 10% of park revenue with neighbouring communities (RDB, 2017).
    community_share_rate = models.DecimalField(
        _("community share"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.10"),
        validators=RATE_VALIDATORS,
    )
    community_name = models.CharField(_("community fund"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Experience(models.Model):
    class Unit(models.TextChoices):
        VISITORS = "visitors", _("Visitors")
        GROUPS = "groups", _("Whole groups")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=120, unique=True)
    operator = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="experiences",
        limit_choices_to={"kind": Organisation.Kind.TOUR_OPERATOR},
    )
    park = models.ForeignKey(Park, on_delete=models.PROTECT, related_name="experiences")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    meeting_point = models.CharField(_("meeting point"), max_length=300)
    # The meeting point's clock: the trek date, the gate's "today" and deadlines are read in it.
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Africa/Kigali", validators=[validate_time_zone]
    )
    starts_at_local = models.TimeField(_("starts at (local time)"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=240)
    rules = models.TextField(_("rules"), blank=True)
    minimum_age = models.PositiveSmallIntegerField(_("minimum age"), default=0)
    photo = models.ImageField(_("photo"), upload_to="tourism/", blank=True)
    photo_credit = models.CharField(max_length=200, blank=True)

    capacity_unit = models.CharField(
        _("capacity counted in"), max_length=10, choices=Unit.choices, default=Unit.VISITORS
    )
    # Places a day when no weekday rule or date exception says otherwise.
    default_capacity = models.PositiveIntegerField(_("default capacity a day"))
    group_size = models.PositiveSmallIntegerField(
        _("visitors per group"), default=8, validators=[MinValueValidator(1)]
    )
    max_visitors_per_booking = models.PositiveSmallIntegerField(
        _("most visitors in one booking"), default=8, validators=[MinValueValidator(1)]
    )
    # A whole group booked privately (e.g. an exclusive gorilla family visit), at one price.
    is_whole_group_bookable = models.BooleanField(_("whole groups may be booked"), default=False)
    group_price_minor = models.BigIntegerField(
        _("whole-group price (minor units)"), null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    booking_horizon_days = models.PositiveIntegerField(default=730)
    date_change_min_days = models.PositiveSmallIntegerField(
        _("date change allowed until (days before)"), default=8
    )
    is_published = models.BooleanField(default=True)
    source = models.CharField(_("source of the figures"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["park__name", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_whole_group_bookable=False) | Q(group_price_minor__gt=0),
                name="tourism_whole_group_needs_price",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    @property
    def group_price(self) -> Money | None:
        if self.group_price_minor is None:
            return None
        return Money.from_minor(self.group_price_minor, self.currency)

    def text(self, field: str, language: str) -> str:
        """A translatable field in the language, falling back to English.

        Uses prefetched translations when present (``prefetch_related("translations")``).
        """
        base = language.split("-")[0] if language else "en"
        if base != "en":
            for translation in self.translations.all():
                if translation.language in {language, base}:
                    value = getattr(translation, field, "")
                    if value:
                        return str(value)
        return str(getattr(self, field))


class ExperienceTranslation(models.Model):
    experience = models.ForeignKey(
        Experience, on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(max_length=10)
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    meeting_point = models.CharField(max_length=300, blank=True)
    rules = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["experience", "language"], name="tourism_translation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.experience_id} [{self.language}]"


class WeekdayCapacity(models.Model):
    """The capacity on one weekday (0 Monday .. 6 Sunday) when it differs from the default."""

    experience = models.ForeignKey(
        Experience, on_delete=models.CASCADE, related_name="weekday_capacities"
    )
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])
    capacity = models.PositiveIntegerField()

    class Meta:
        ordering = ["weekday"]
        constraints = [
            models.UniqueConstraint(fields=["experience", "weekday"], name="tourism_weekday_unique")
        ]

    def __str__(self) -> str:
        return f"{self.experience_id} weekday {self.weekday}: {self.capacity}"


class DailyCapacity(models.Model):
    """One day of one experience: its capacity and the places taken (held or confirmed).

    Rows are created lazily; a date exception (a closure, a special capacity) is a row with
    ``is_exception`` set, so that the availability of a range is one query.
    """

    experience = models.ForeignKey(
        Experience, on_delete=models.CASCADE, related_name="daily_capacities"
    )
    visit_on = models.DateField()
    capacity = models.PositiveIntegerField()
    taken = models.PositiveIntegerField(default=0)
    is_closed = models.BooleanField(default=False)
    is_exception = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["visit_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["experience", "visit_on"], name="tourism_daily_capacity_unique"
            ),
            models.CheckConstraint(
                condition=Q(taken__lte=F("capacity")), name="tourism_never_oversold"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.experience_id} {self.visit_on}: {self.taken}/{self.capacity}"

    @property
    def remaining(self) -> int:
        return 0 if self.is_closed else max(self.capacity - self.taken, 0)


class PriceTier(models.Model):
    """The price of one visitor of a category, and the document that proves the category."""

    experience = models.ForeignKey(Experience, on_delete=models.CASCADE, related_name="tiers")
    code = models.SlugField(max_length=40)  # foreign_non_resident, foreign_resident, ...
    label = models.CharField(_("label"), max_length=120)
    labels = models.JSONField(default=dict, blank=True)  # language -> label
    proof_document = models.CharField(_("proof checked at the gate"), max_length=200)
    proof_documents = models.JSONField(default=dict, blank=True)  # language -> text
    # ISO 3166 codes a visitor of this category must hold; empty means any nationality.
    eligible_nationalities = models.JSONField(default=list, blank=True)
    price_minor = models.BigIntegerField(
        _("price (minor units)"), validators=[MinValueValidator(0)]
    )
    position = models.PositiveSmallIntegerField(default=0)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["experience", "code"], name="tourism_tier_unique")
        ]

    def __str__(self) -> str:
        return f"{self.experience_id} {self.code}"

    @property
    def price(self) -> Money:
        return Money.from_minor(self.price_minor, self.experience.currency)

    def label_in(self, language: str) -> str:
        return str(self.labels.get(language) or self.label)

    def proof_in(self, language: str) -> str:
        return str(self.proof_documents.get(language) or self.proof_document)


class BundleDiscount(models.Model):
    """A discount on this experience for a visitor who also books days in other parks.

    E.g. 30% off gorilla permits when the same email holds bookings on 3 days in Nyungwe or
    Akagera (RDB, 2017). Applied when the hold is made.
    """

    experience = models.ForeignKey(
        Experience, on_delete=models.CASCADE, related_name="bundle_discounts"
    )
    name = models.CharField(max_length=200)
    rate = models.DecimalField(max_digits=5, decimal_places=4, validators=RATE_VALIDATORS)
    minimum_other_days = models.PositiveSmallIntegerField(default=3)
    # Tier codes the discount applies to; empty means every tier.
    categories = models.JSONField(default=list, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    source = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.name


class CancellationRule(models.Model):
    """Refund on cancellation: the rule with the largest ``min_days_before`` not above the
    days left until the visit applies (e.g. 31 -> 100%, 8 -> 50%, 0 -> 0%)."""

    experience = models.ForeignKey(
        Experience, on_delete=models.CASCADE, related_name="cancellation_rules"
    )
    min_days_before = models.PositiveSmallIntegerField()
    refund_rate = models.DecimalField(max_digits=5, decimal_places=4, validators=RATE_VALIDATORS)

    class Meta:
        ordering = ["-min_days_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["experience", "min_days_before"], name="tourism_cancellation_rule_unique"
            )
        ]

    def __str__(self) -> str:
        return f">= {self.min_days_before} days: {self.refund_rate:%}"


class Booking(models.Model):
    class Status(models.TextChoices):
        HELD = "held", _("Held, waiting for payment")
        CONFIRMED = "confirmed", _("Confirmed")
        EXPIRED = "expired", _("Expired")
        PAYMENT_FAILED = "payment_failed", _("Payment failed")
        CANCELLED = "cancelled", _("Cancelled")

    # Statuses whose places count as taken.
    HOLDING = frozenset({Status.HELD, Status.CONFIRMED})

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    experience = models.ForeignKey(Experience, on_delete=models.PROTECT, related_name="bookings")
    visit_on = models.DateField()
    email = models.EmailField()
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.HELD)
    places = models.PositiveIntegerField()  # capacity units taken (visitors or groups)
    visitor_count = models.PositiveSmallIntegerField()
    is_whole_group = models.BooleanField(default=False)
    subtotal_minor = models.BigIntegerField()
    discount_minor = models.BigIntegerField(default=0)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    bundle_discount = models.ForeignKey(
        BundleDiscount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    payment_ref = models.CharField(max_length=100, blank=True, db_index=True)
    # The split posted to the ledger when paid.
    operator_minor = models.BigIntegerField(default=0)
    community_minor = models.BigIntegerField(default=0)
    fee_minor = models.BigIntegerField(default=0)
    refunded_minor = models.BigIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["experience", "visit_on", "status"]),
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["email", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.experience_id} {self.visit_on} {self.status}"

    @property
    def code(self) -> str:
        """A short reference for people (the first characters of the opaque id)."""
        return str(self.public_id)[:8].upper()

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)

    @property
    def subtotal(self) -> Money:
        return Money.from_minor(self.subtotal_minor, self.currency)

    @property
    def discount(self) -> Money:
        return Money.from_minor(self.discount_minor, self.currency)

    @property
    def refunded(self) -> Money:
        return Money.from_minor(self.refunded_minor, self.currency)

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED


class BookingVisitor(models.Model):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="visitors")
    position = models.PositiveSmallIntegerField()
    tier = models.ForeignKey(PriceTier, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=40)
    full_name = models.CharField(max_length=200)
    nationality = models.CharField(max_length=2)
    birth_date = models.DateField()
    document_number = models.CharField(max_length=60)
    price_minor = models.BigIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "position"], name="tourism_visitor_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.category})"


class CheckIn(models.Model):
    """A voucher let through the gate. One per booking: a second scan finds this row."""

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="check_in")
    checked_in_at = models.DateTimeField()
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    voucher_kid = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return f"{self.booking_id} at {self.checked_in_at:%Y-%m-%d %H:%M}"


class BookingRefund(models.Model):
    """Money owed back on a cancellation; sent to the provider after the cancellation commits."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Refunded")
        FAILED = "failed", _("Failed, will retry")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.BigIntegerField(validators=[MinValueValidator(1)])
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    refund_ref = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"refund {self.amount} of {self.booking_id} {self.status}"

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)
