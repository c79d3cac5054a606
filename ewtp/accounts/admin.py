"""Admin of accounts. An organisation's verification and seller category are read-only here:
the operator's page decides them through the services (who, when, the note, the audit trail).
Memberships are read-only too: their service keeps an owner on every organisation."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from ewtp.accounts.models import ApiToken, Membership, Organisation, User


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    ordering = ["email"]
    list_display = ["email", "full_name", "language", "is_staff", "is_active", "created_at"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["public_id", "created_at", "last_login"]
    fieldsets = (
        (None, {"fields": ("email", "password", "public_id")}),
        ("Profile", {"fields": ("full_name", "language", "currency", "destination")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("created_at", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ["groups"]
    list_filter = ["is_staff", "is_active", "language"]


class MembershipInline(admin.TabularInline[Membership, Organisation]):
    model = Membership
    extra = 0
    readonly_fields = ["user", "role"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "kind", "country", "verification", "verified_at"]
    list_filter = ["kind", "verification", "country"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    readonly_fields = [
        "public_id",
        "seller_category",
        "seller_category_requested",
        "seller_category_requested_at",
        "verification",
        "verification_note",
        "verified_by",
        "verified_at",
    ]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "user__email", "name"]
    readonly_fields = ["public_id", "prefix", "digest", "created_at", "last_used_at"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A token's clear value is shown once, on the tokens page; the admin cannot make one.
        return False
