from django.urls import path

from ewtp.learning import views

app_name = "learning"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("programmes/<slug:slug>/", views.programme_detail, name="programme"),
    path("programmes/<slug:slug>/apply/<uuid:cohort_id>/", views.application_form, name="apply"),
    path("applications/<uuid:public_id>/", views.application_detail, name="application"),
    path("applications/<uuid:public_id>/edit/", views.application_edit, name="application_edit"),
    path(
        "applications/<uuid:public_id>/withdraw/",
        views.application_withdraw,
        name="application_withdraw",
    ),
    path(
        "applications/<uuid:public_id>/decline/",
        views.application_decline,
        name="application_decline",
    ),
    path(
        "applications/<uuid:public_id>/decide/",
        views.application_decide,
        name="application_decide",
    ),
    path("courses/<slug:slug>/", views.course_detail, name="course"),
    path("courses/<slug:slug>/enrol/", views.course_enrol, name="enrol"),
    path("courses/<slug:slug>/lessons/<int:lesson_id>/", views.lesson_detail, name="lesson"),
    path(
        "courses/<slug:slug>/lessons/<int:lesson_id>/done/", views.lesson_done, name="lesson_done"
    ),
    path(
        "courses/<slug:slug>/lessons/<int:lesson_id>/files/<int:file_id>/",
        views.lesson_file,
        name="lesson_file",
    ),
    path("courses/<slug:slug>/quizzes/<int:quiz_id>/", views.quiz_detail, name="quiz"),
    path(
        "courses/<slug:slug>/quizzes/<int:quiz_id>/attempts/<int:number>/",
        views.quiz_result,
        name="quiz_result",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation"),
    path("training/", views.provider_dashboard, name="provider_dashboard"),
    path("training/cohorts/<uuid:cohort_id>/", views.cohort_manage, name="cohort_manage"),
    path("training/cohorts/<uuid:cohort_id>/assign/", views.cohort_assign, name="cohort_assign"),
    path("training/cohorts/<uuid:cohort_id>/invite/", views.cohort_invite, name="cohort_invite"),
    path(
        "training/programmes/<slug:slug>/translations/",
        views.programme_translations,
        name="programme_translations",
    ),
    path(
        "training/courses/<slug:slug>/translations/",
        views.course_translations,
        name="course_translations",
    ),
    path("reviews/", views.review_list, name="reviews"),
    path("reviews/<uuid:public_id>/", views.review_detail, name="review"),
    path("reviews/<uuid:public_id>/conflict/", views.review_conflict, name="review_conflict"),
    path("certificates/", views.certificate_find, name="certificate_find"),
    path("certificates/<str:code>/", views.certificate_detail, name="certificate"),
    path("certificates/<str:code>/certificate.pdf", views.certificate_pdf, name="certificate_pdf"),
    path(
        "certificates/<str:code>/credential.json",
        views.certificate_credential,
        name="certificate_credential",
    ),
    path("certificates/<str:code>/revoke/", views.certificate_revoke, name="certificate_revoke"),
    path("issuer", views.issuer, name="issuer"),
]
