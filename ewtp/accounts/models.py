"""Users (email log-in), organisations with a kind, memberships with roles, API tokens."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("a user needs an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    destination = models.CharField(_("destination country"), max_length=2, default="BE")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Organisation(models.Model):
    class Kind(models.TextChoices):
        SELLER = "seller", _("Seller")
        TOUR_OPERATOR = "tour_operator", _("Tour operator")
        HUB_OPERATOR = "hub_operator", _("Hub operator")
        CUSTOMS_AUTHORITY = "customs_authority", _("Customs authority")
        TRAINING_PROVIDER = "training_provider", _("Training provider")
        RULE_STEWARD = "rule_steward", _("Rule steward")
        PLATFORM_OPERATOR = "platform_operator", _("Platform operator")

    class Verification(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    class SellerCategory(models.TextChoices):
        NONE = "", _("Not a seller")
        COOPERATIVE = "cooperative", _("Cooperative")
        COMPANY = "company", _("Company")
        INDIVIDUAL = "individual", _("Individual trader")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    # Sellers only: the platform fee may differ by category (EWTP_PLATFORM_FEES).
    seller_category = models.CharField(
        _("seller category"), max_length=20, choices=SellerCategory.choices, blank=True, default=""
    )
    # A declared change to a category with lower fees waits here for the platform operator
    # (accounts.services.organisation_seller_category_declare); until it is approved, the
    # category above (and its fee) applies. "" when nothing waits.
    seller_category_requested = models.CharField(
        _("requested seller category"),
        max_length=20,
        choices=SellerCategory.choices,
        blank=True,
        default="",
    )
    seller_category_requested_at = models.DateTimeField(null=True, blank=True)
    country = models.CharField(_("country"), max_length=2)
    description = models.TextField(_("description"), blank=True)
    # What the operator checks before verifying: the registration number (in Rwanda the RDB
    # company code, which is also the TIN), the registered address and a registration document.
    registration_number = models.CharField(_("registration number"), max_length=40, blank=True)
    address = models.TextField(_("registered address"), blank=True)
    registration_document = models.FileField(
        _("registration document"), upload_to="organisations/registration/%Y/", blank=True
    )
    verification = models.CharField(
        max_length=20, choices=Verification.choices, default=Verification.SUBMITTED
    )
    verification_note = models.TextField(blank=True)
    verified_by = models.ForeignKey(
        "User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.verification == self.Verification.VERIFIED


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        STAFF = "staff", _("Staff")
        VIEWER = "viewer", _("Viewer")
        # A tour operator's gate staff: the check-in page and nothing else.
        GATE = "gate", _("Gate only (check-in)")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.organisation}"

    @classmethod
    def roles_of(cls, organisation: Organisation) -> list[str]:
        """The roles an organisation gives: gate only exists at tour operators."""
        roles = [cls.Role.OWNER, cls.Role.STAFF, cls.Role.VIEWER]
        if organisation.kind == Organisation.Kind.TOUR_OPERATOR:
            roles.append(cls.Role.GATE)
        return [str(role) for role in roles]


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the prefix identifies it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # After this the token is refused (EWTP_API_TOKEN_DAYS after it was issued); None: never.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_expired(self) -> bool:
        from ewtp.core import clock

        return self.expires_at is not None and self.expires_at <= clock.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired
