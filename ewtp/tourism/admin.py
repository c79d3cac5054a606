"""Admin of tourism: parks, experiences with their tiers and rules; bookings read-only."""

from __future__ import annotations

from django.contrib import admin

from ewtp.tourism.models import (
    Booking,
    BookingRefund,
    BookingVisitor,
    BundleDiscount,
    CancellationRule,
    CheckIn,
    DailyCapacity,
    Experience,
    ExperienceTranslation,
    Park,
    PriceTier,
    WeekdayCapacity,
)


@admin.register(Park)
class ParkAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "slug", "time_zone", "community_share_rate"]


class TranslationInline(admin.StackedInline):  # type: ignore[type-arg]
    model = ExperienceTranslation
    extra = 0


class TierInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PriceTier
    extra = 0


class WeekdayInline(admin.TabularInline):  # type: ignore[type-arg]
    model = WeekdayCapacity
    extra = 0


class CancellationInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CancellationRule
    extra = 0


class BundleInline(admin.TabularInline):  # type: ignore[type-arg]
    model = BundleDiscount
    extra = 0


@admin.register(Experience)
class ExperienceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "title",
        "park",
        "operator",
        "default_capacity",
        "capacity_unit",
        "is_published",
    ]
    list_filter = ["park", "is_published"]
    search_fields = ["title", "slug"]
    inlines = [TranslationInline, TierInline, WeekdayInline, CancellationInline, BundleInline]


@admin.register(DailyCapacity)
class DailyCapacityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    # Places are taken only by the booking services (one conditional update each).
    list_display = ["experience", "visit_on", "capacity", "taken", "is_closed", "is_exception"]
    list_filter = ["experience", "is_closed", "is_exception"]
    readonly_fields = ["taken"]


class VisitorInline(admin.TabularInline):  # type: ignore[type-arg]
    model = BookingVisitor
    extra = 0
    can_delete = False
    readonly_fields = [
        "position",
        "tier",
        "category",
        "full_name",
        "nationality",
        "birth_date",
        "document_number",
        "price_minor",
    ]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "experience", "visit_on", "email", "status", "places", "amount"]
    list_filter = ["status", "experience"]
    search_fields = ["email", "public_id"]
    date_hierarchy = "visit_on"
    inlines = [VisitorInline]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["booking", "checked_in_at", "checked_in_by"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(BookingRefund)
class BookingRefundAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["booking", "amount", "status", "attempts", "created_at"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
