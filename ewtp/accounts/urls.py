from django.contrib.auth import views as auth_views
from django.urls import path

from ewtp.accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path("signup/confirm/<uidb64>/<token>/", views.signup_confirm, name="signup_confirm"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation"),
    path(
        "organisations/<slug:slug>/members/",
        views.organisation_member_add,
        name="organisation_member_add",
    ),
    path(
        "organisations/<slug:slug>/members/<uuid:user_id>/",
        views.organisation_member,
        name="organisation_member",
    ),
    path(
        "organisations/<slug:slug>/registration-document/",
        views.organisation_document,
        name="organisation_document",
    ),
    path(
        "organisations/<slug:slug>/registration/",
        views.organisation_registration,
        name="organisation_registration",
    ),
    path(
        "organisations/<slug:slug>/resubmit/",
        views.organisation_resubmit,
        name="organisation_resubmit",
    ),
    path(
        "organisations/<slug:slug>/seller-category/",
        views.organisation_seller_category,
        name="organisation_seller_category",
    ),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<uuid:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("operator/organisations/", views.operator_organisations, name="operator_organisations"),
    path("operator/audit/", views.operator_audit, name="operator_audit"),
    path("operator/outbox/", views.operator_outbox, name="operator_outbox"),
]
