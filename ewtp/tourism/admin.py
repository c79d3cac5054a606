"""Admin of tourism: parks, experiences with their tiers and rules.

Read-only (written by the tourism services, which check roles, lock rows and audit): a day's
capacity, bookings with their visitors, check-ins and refunds."""

from __future__ import annotations

from django.contrib import admin

from ewtp.core.admin import WrittenByServices
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
class DailyCapacityAdmin(WrittenByServices, admin.ModelAdmin):  # type: ignore[type-arg]
    # Places are taken only by the booking services (one conditional update each); closures
    # and exceptions are set on the operator's pages (capacity_exception_set).
    list_display = ["experience", "visit_on", "capacity", "taken", "is_closed", "is_exception"]
    list_filter = ["experience", "is_closed", "is_exception"]


class VisitorInline(WrittenByServices, admin.TabularInline):  # type: ignore[type-arg]
    model = BookingVisitor
    extra = 0


@admin.register(Booking)
class BookingAdmin(WrittenByServices, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "experience", "visit_on", "email", "status", "places", "amount"]
    list_filter = ["status", "experience"]
    search_fields = ["email", "public_id"]
    date_hierarchy = "visit_on"
    inlines = [VisitorInline]


@admin.register(CheckIn)
class CheckInAdmin(WrittenByServices, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["booking", "checked_in_at", "checked_in_by"]


@admin.register(BookingRefund)
class BookingRefundAdmin(WrittenByServices, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["booking", "amount", "status", "attempts", "created_at"]
