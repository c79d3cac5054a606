"""Admin of learning: where trainers author programmes, courses, lessons and quizzes.

Read-only (written by the learning services, which check the manager, keep seats and audit):
reviewers (reviewer_add, conflicts of interest), enrolments, applications and certificates."""

from __future__ import annotations

from django.contrib import admin

from ewtp.core.admin import WrittenByServices
from ewtp.learning import models


class CohortInline(admin.TabularInline[models.Cohort, models.Programme]):
    model = models.Cohort
    extra = 0
    readonly_fields = ("seats_taken",)


class QuestionInline(admin.TabularInline[models.ApplicationQuestion, models.Programme]):
    model = models.ApplicationQuestion
    extra = 0


class CriterionInline(admin.TabularInline[models.RubricCriterion, models.Programme]):
    model = models.RubricCriterion
    extra = 0


class ReviewerInline(
    WrittenByServices, admin.TabularInline[models.ProgrammeReviewer, models.Programme]
):
    """Reviewers are added on the programme's page (reviewer_add: a manager, audited)."""

    model = models.ProgrammeReviewer
    extra = 0


@admin.register(models.Programme)
class ProgrammeAdmin(admin.ModelAdmin[models.Programme]):
    list_display = ("title", "provider", "enrolment_mode", "is_published")
    list_filter = ("enrolment_mode", "is_published")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [CohortInline, QuestionInline, CriterionInline, ReviewerInline]


class SessionInline(admin.TabularInline[models.LiveSession, models.Cohort]):
    model = models.LiveSession
    extra = 0


@admin.register(models.Cohort)
class CohortAdmin(admin.ModelAdmin[models.Cohort]):
    list_display = ("name", "programme", "starts_on", "ends_on", "capacity", "seats_taken")
    readonly_fields = ("seats_taken",)
    inlines = [SessionInline]


class ModuleInline(admin.TabularInline[models.Module, models.Course]):
    model = models.Module
    extra = 0
    show_change_link = True


@admin.register(models.Course)
class CourseAdmin(admin.ModelAdmin[models.Course]):
    list_display = ("title", "programme", "is_published", "marks_export_ready")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("prerequisites",)
    inlines = [ModuleInline]


class LessonInline(admin.StackedInline[models.Lesson, models.Module]):
    model = models.Lesson
    extra = 0
    show_change_link = True


class QuizInline(admin.TabularInline[models.Quiz, models.Module]):
    model = models.Quiz
    extra = 0
    show_change_link = True


@admin.register(models.Module)
class ModuleAdmin(admin.ModelAdmin[models.Module]):
    list_display = ("title", "course", "position")
    inlines = [LessonInline, QuizInline]


class FileInline(admin.TabularInline[models.LessonFile, models.Lesson]):
    model = models.LessonFile
    extra = 0


@admin.register(models.Lesson)
class LessonAdmin(admin.ModelAdmin[models.Lesson]):
    list_display = ("title", "module", "position")
    inlines = [FileInline]


class ChoiceInline(admin.TabularInline[models.Choice, models.Question]):
    model = models.Choice
    extra = 0


@admin.register(models.Question)
class QuestionAdmin(admin.ModelAdmin[models.Question]):
    list_display = ("text", "quiz", "kind")
    inlines = [ChoiceInline]


class QuizQuestionInline(admin.TabularInline[models.Question, models.Quiz]):
    model = models.Question
    extra = 0
    show_change_link = True


@admin.register(models.Quiz)
class QuizAdmin(admin.ModelAdmin[models.Quiz]):
    list_display = ("title", "module", "pass_mark_percent", "max_attempts")
    inlines = [QuizQuestionInline]


@admin.register(models.Enrolment)
class EnrolmentAdmin(WrittenByServices, admin.ModelAdmin[models.Enrolment]):
    list_display = ("learner", "course", "cohort", "status", "enrolled_at", "completed_at")
    list_filter = ("status",)


@admin.register(models.Application)
class ApplicationAdmin(WrittenByServices, admin.ModelAdmin[models.Application]):
    """Read-only: decisions go through the decision page (capacity and messages)."""

    list_display = ("applicant", "cohort", "status", "submitted_at")
    list_filter = ("status",)


@admin.register(models.Certificate)
class CertificateAdmin(WrittenByServices, admin.ModelAdmin[models.Certificate]):
    """Read-only: certificates are issued by completion and revoked on their page."""

    list_display = ("code", "holder_name", "programme", "course", "status", "issued_at")
    list_filter = ("status",)
    search_fields = ("code", "holder_name")
