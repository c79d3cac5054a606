"""Products of the marketplace: sellers' listings, their variants, photos, stock per hub.

Texts are written in the product's own language and translated per field
(``ProductTranslation``); a missing translation falls back to the product's language.
Stock is taken with conditional updates (see services.stock_hold).
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.search import SearchVectorExact
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ewtp.accounts.models import Organisation


class TsVectorField(models.Field):  # type: ignore[type-arg]
    """A ``tsvector`` column on PostgreSQL (a plain, unused column elsewhere).

    Django's SearchVectorField insists on ``django.contrib.postgres`` being installed; this
    one only needs the type and the ``@@`` lookup.
    """

    def db_type(self, connection):  # type: ignore[no-untyped-def]
        return "tsvector" if connection.vendor == "postgresql" else "text"


TsVectorField.register_lookup(SearchVectorExact)

HUB_COUNTRIES = {"KGL": "RW"}  # hub code -> country the consignment leaves from
DEFAULT_HUB = "KGL"


class Category(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)
    names = models.JSONField(default=dict, blank=True)  # language -> name
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        return str(self.names.get(language) or self.name)


class Product(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Certification(models.TextChoices):
        ORGANIC = "organic", _("Organic")
        FAIR_TRADE = "fair_trade", _("Fair trade")
        RAINFOREST_ALLIANCE = "rainforest_alliance", _("Rainforest Alliance")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=120, unique=True)
    seller = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    language = models.CharField(_("language of the texts"), max_length=10, default="en")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    hs_code = models.CharField(_("HS code"), max_length=10)  # digits only, 6 to 10
    # Where a destination's tariff splits the HS code into national lines with different
    # duties: the national code the seller picked, by customs territory (e.g. "EU", "US") or
    # destination country, e.g. {"US": "09021090"}; checked against the candidates.
    national_codes = models.JSONField(_("national tariff codes"), default=dict, blank=True)
    origin = models.CharField(_("country of origin"), max_length=2)
    unit_weight_kg = models.DecimalField(_("unit weight (kg)"), max_digits=10, decimal_places=3)
    certifications = models.JSONField(default=list, blank=True)
    # Badge slot: set when the seller finishes the export-readiness course (learning app).
    is_export_ready = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    # Denormalised search text (every language), kept by services; the vector on PostgreSQL.
    search_title = models.TextField(blank=True, editable=False)
    search_body = models.TextField(blank=True, editable=False)
    search_vector = TsVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-published_at", "-id"], name="product_listing_idx"),
            models.Index(fields=["seller", "status"], name="product_seller_idx"),
            models.Index(fields=["category", "status"], name="product_category_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_weight_kg__gt=0), name="product_weight_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def hs_dotted(self) -> str:
        return f"{self.hs_code[:4]}.{self.hs_code[4:6]}" + (
            f".{self.hs_code[6:]}" if len(self.hs_code) > 6 else ""
        )


class ProductTranslation(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=10)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "language"], name="product_translation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id} [{self.language}] {self.title}"


class Variant(models.Model):
    """A sellable unit (SKU) of a product, with its own price and stock."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("variant"), max_length=100, blank=True)
    price_minor = models.BigIntegerField(_("price (minor units)"))
    currency = models.CharField(max_length=3)
    unit_weight_kg = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "sku"], name="variant_sku_unique"),
            models.CheckConstraint(condition=Q(price_minor__gte=0), name="variant_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}".strip()

    @property
    def weight_kg(self):  # type: ignore[no-untyped-def]
        return self.unit_weight_kg or self.product.unit_weight_kg


class StockLevel(models.Model):
    """Units of a variant at a hub; ``reserved`` of them are held by unpaid orders."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="stock_levels")
    hub_code = models.CharField(max_length=8, default=DEFAULT_HUB)
    on_hand = models.PositiveIntegerField(default=0)
    reserved = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["hub_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "hub_code"], name="stock_variant_hub_unique"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_le_on_hand"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.hub_code}: {self.on_hand - self.reserved}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockReservation(models.Model):
    """Units held for an order until it is paid (committed) or the hold ends (released)."""

    class State(models.TextChoices):
        HELD = "held", _("Held")
        COMMITTED = "committed", _("Committed")
        RELEASED = "released", _("Released")

    stock_level = models.ForeignKey(
        StockLevel, on_delete=models.PROTECT, related_name="reservations"
    )
    quantity = models.PositiveIntegerField()
    reference = models.CharField(max_length=64, db_index=True)  # the order's public id
    state = models.CharField(max_length=10, choices=State.choices, default=State.HELD)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "expires_at"], name="reservation_expiry_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="reservation_quantity_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.stock_level_id} for {self.reference} ({self.state})"


def _photo_path(instance: Photo, filename: str) -> str:
    return f"catalog/photos/{instance.public_id}/{filename}"


class Photo(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=_photo_path)
    thumbnail = models.ImageField(upload_to=_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"photo {self.public_id} of {self.product_id}"


class FtsMatchField(models.TextField):  # type: ignore[type-arg]
    """The hidden column of an FTS5 table that takes ``MATCH`` (SQLite only)."""


@FtsMatchField.register_lookup
class FtsMatch(models.Lookup):
    lookup_name = "match"

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", [*lhs_params, *rhs_params]


class ProductSearchEntry(models.Model):
    """Row of the SQLite FTS5 table ``catalog_product_fts`` (created by migration 0002).

    Not used on PostgreSQL, which searches ``Product.search_vector`` (GIN index).
    """

    product = models.OneToOneField(
        Product,
        primary_key=True,
        db_column="rowid",
        on_delete=models.DO_NOTHING,
        related_name="search_entry",
        db_constraint=False,
    )
    title = models.TextField()
    body = models.TextField()
    match = FtsMatchField(db_column="catalog_product_fts")
    rank = models.FloatField(db_column="rank")

    class Meta:
        managed = False
        db_table = "catalog_product_fts"

    def __str__(self) -> str:
        return self.title
