"""Pages of accounts: sign up, log in and out, password reset, profile, organisations and their
members, API tokens, and the platform operator's pages (verification, audit log, outbox)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ewtp.accounts import registration, selectors, services
from ewtp.accounts import signup as signup_services
from ewtp.accounts.forms import (
    EmailAuthenticationForm,
    MemberAddForm,
    NewPasswordForm,
    OrganisationForm,
    PasswordResetRequestForm,
    ProfileForm,
    RegistrationForm,
    RoleForm,
    SellerCategoryForm,
    SellerCategoryReviewForm,
    SignUpForm,
    TokenForm,
    VerificationForm,
    fee_terms_text,
)
from ewtp.accounts.models import Membership, Organisation, User
from ewtp.core.errors import DomainError, RateLimited
from ewtp.core.http import is_htmx, page_errors
from ewtp.core.pagination import paginate
from ewtp.core.preferences import (
    CURRENCY_COOKIE,
    DESTINATION_COOKIE,
    is_language,
    remember,
    remember_language,
    resolve,
)
from ewtp.core.ratelimit import rate_limit
from ewtp.core.selectors import audit_actions


def _show_error(form: forms.Form, error: DomainError) -> None:
    """Put a domain error next to the fields it names, else at the top of the form."""
    for field, message in error.fields.items():
        form.add_error(field if field in form.fields else None, message)
    if not error.fields:
        form.add_error(None, error.message)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _language_name(code: str) -> str:
    """A language's own name, as the language menu shows it ("Français")."""
    from django.utils.translation import get_language_info

    try:
        return str(get_language_info(code)["name_local"])
    except KeyError:
        return code


def _remember_profile(response: HttpResponse, user: User) -> None:
    """This device takes the profile's language, currency and destination."""
    remember_language(response, user.language)
    remember(response, currency=user.currency, destination=user.destination)


# Sign up, log in, password reset -----------------------------------------------------------


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return HttpResponseRedirect(reverse("web:home"))
    form = SignUpForm(request.POST or None)
    status = 200
    if request.method == "POST":
        try:
            rate_limit(
                request, "accounts.signup", per_minute=10, account=request.POST.get("email", "")
            )
        except RateLimited as error:
            form.is_valid()
            form.add_error(None, _("Too many attempts; wait a minute and try again."))
            return render(request, "accounts/signup.html", {"form": form}, status=error.http_status)
    if request.method == "POST" and form.is_valid():
        preferences = resolve(request)
        try:
            # The same answer whether or not the address has an account: a mail tells.
            signup_services.user_sign_up_request(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                full_name=form.cleaned_data["full_name"],
                language=translation.get_language() or settings.LANGUAGE_CODE,
                currency=preferences.currency,
                destination=preferences.destination,
            )
        except DomainError as error:
            _show_error(form, error)
            status = 422
        else:
            return HttpResponseRedirect(reverse("accounts:signup_sent"))
    elif request.method == "POST":
        status = 422
    return render(request, "accounts/signup.html", {"form": form}, status=status)


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html")


def signup_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link of the confirmation mail: the password chosen at sign-up opens the account and
    logs its owner in."""
    error, status = "", 200
    try:
        if request.method == "POST":
            rate_limit(request, "accounts.signup_confirm", per_minute=10, account=uidb64)
            user = signup_services.user_sign_up_confirm(
                uidb64=uidb64, token=token, password=request.POST.get("password", "")
            )
        else:
            signup_services.user_sign_up_link_check(uidb64=uidb64, token=token)
            return render(request, "accounts/signup_confirm.html", {})
    except DomainError as failure:
        if failure.code not in {"password_mismatch", "rate_limited"}:
            context = {"error": failure.message}
            return render(request, "accounts/signup_sent.html", context, status=400)
        error, status = failure.message, failure.http_status
    if error:
        return render(request, "accounts/signup_confirm.html", {"error": error}, status=status)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    translation.activate(user.language)
    messages.success(request, _("Welcome to eWTP."))
    response = HttpResponseRedirect(reverse("web:home"))
    _remember_profile(response, user)
    return response


def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The admin's log-in, under the same limits as the site's (per address and per account)."""
    from django.contrib import admin

    if request.method == "POST":
        try:
            rate_limit(
                request, "admin.login", per_minute=10, account=request.POST.get("username", "")
            )
        except RateLimited as error:
            response = render(request, "web/error.html", {"status": 429}, status=429)
            response["Retry-After"] = str(error.extra["retry_after"])
            return response
    return admin.site.login(request, extra_context)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True
    rate_limited = False

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "rate_limited": self.rate_limited}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            rate_limit(
                request, "accounts.login", per_minute=10, account=request.POST.get("username", "")
            )
        except RateLimited:
            self.rate_limited = True
        response = super().post(request, *args, **kwargs)
        if self.rate_limited:
            response.status_code = 429
        return response

    def form_valid(self, form: EmailAuthenticationForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        user = form.get_user()
        if isinstance(user, User):
            # The profile's choices follow the person to this device, except a language the
            # visitor chose on it before logging in: that stays, and the page offers the other.
            cookies = self.request.COOKIES
            chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
            _remember_profile(response, user)
            # The cart's destination and currency the visitor chose stay too.
            remember(
                response,
                currency=cookies.get(CURRENCY_COOKIE) or user.currency,
                destination=cookies.get(DESTINATION_COOKIE) or user.destination,
            )
            if chosen and chosen != user.language and is_language(chosen):
                remember_language(response, chosen)
                messages.info(
                    self.request,
                    _(
                        "Your profile's language is %(language)s; this site stays in the "
                        "language you chose. Switch with the language menu, or save it in "
                        "your profile."
                    )
                    % {"language": _language_name(user.language)},
                )
            else:
                translation.activate(user.language)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    form_class = PasswordResetRequestForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            rate_limit(
                request,
                "accounts.password_reset",
                per_minute=5,
                account=request.POST.get("email", ""),
            )
        except RateLimited as error:
            form = self.get_form()
            form.is_valid()
            form.add_error(None, _("Too many attempts; wait a minute and try again."))
            response = self.form_invalid(form)
            response.status_code = error.http_status
            return response
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form: NewPasswordForm) -> HttpResponse:  # type: ignore[override]
        messages.success(self.request, _("Your new password is saved. Log in with it."))
        response = super().form_valid(form)
        signup_services.user_open_after_reset(user=form.user)
        return response


# Profile -----------------------------------------------------------------------------------


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    initial = {
        "full_name": user.full_name,
        "language": user.language,
        "currency": user.currency,
        "destination": user.destination,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.user_preferences_update(user=user, **form.cleaned_data)
        except DomainError as error:
            _show_error(form, error)
            status = 422
        else:
            response = HttpResponseRedirect(reverse("accounts:profile"))
            _remember_profile(response, user)
            # The message is shown on the next page, in the language just chosen.
            with translation.override(user.language):
                messages.success(request, _("Your preferences are saved."))
            return response
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "memberships": selectors.memberships_of(user)},
        status=status,
    )


# Organisations -----------------------------------------------------------------------------


@login_required
def organisations(request: HttpRequest) -> HttpResponse:
    """My organisations, and registering a new one."""
    user = _user(request)
    form = OrganisationForm(
        request.POST or None, request.FILES or None, operator=selectors.is_platform_operator(user)
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            organisation = registration.organisation_create(actor=user, **form.cleaned_data)
        except DomainError as error:
            _show_error(form, error)
            status = error.http_status
        else:
            messages.success(
                request,
                _("%(name)s is registered; the platform operator will verify it.")
                % {"name": organisation.name},
            )
            return HttpResponseRedirect(
                reverse("accounts:organisation", kwargs={"slug": organisation.slug})
            )
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "accounts/organisations.html",
        {"form": form, "memberships": selectors.memberships_of(user)},
        status=status,
    )


def _organisation_context(
    request: HttpRequest, organisation: Organisation, **extra: Any
) -> dict[str, Any]:
    user = _user(request)
    role = selectors.role_in(user, organisation)
    members = list(selectors.members_of(user, organisation))
    is_owner = role == "owner"
    for membership in members:
        membership.role_form = RoleForm(  # type: ignore[attr-defined]
            initial={"role": membership.role}, auto_id=f"id_%s_{membership.user.public_id}"
        )
    return {
        "organisation": organisation,
        "role": role,
        "role_label": dict(Membership.Role.choices).get(role or "", ""),
        "is_owner": is_owner,
        "members": members,
        "add_form": MemberAddForm() if is_owner else None,
        "registration_form": RegistrationForm(
            initial={
                "registration_number": organisation.registration_number,
                "address": organisation.address,
            },
            auto_id="id_registration_%s",
        )
        if is_owner and organisation.verification != Organisation.Verification.VERIFIED
        else None,
        "audit": selectors.organisation_audit_for(user, organisation)[:20],
        **_seller_category_context(organisation, is_owner=is_owner),
        **extra,
    }


def _category_label(value: str) -> str:
    if not value:
        return _("Not declared")
    return str(dict(Organisation.SellerCategory.choices).get(value, value))


def _seller_category_context(organisation: Organisation, *, is_owner: bool) -> dict[str, Any]:
    """The seller category block: what applies, what waits for the operator, the form."""
    if organisation.kind != Organisation.Kind.SELLER:
        return {"is_seller": False}
    current = organisation.seller_category
    requested = organisation.seller_category_requested
    return {
        "is_seller": True,
        "category_label": _category_label(current),
        "category_terms": fee_terms_text(current),
        "requested_label": _category_label(requested) if requested else "",
        "requested_terms": fee_terms_text(requested) if requested else "",
        "category_form": SellerCategoryForm(
            initial={"seller_category": requested or current}, auto_id="id_category_%s"
        )
        if is_owner
        else None,
    }


@login_required
@page_errors
def organisation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = selectors.organisation_get_for(request.user, slug)
    return render(
        request, "accounts/organisation.html", _organisation_context(request, organisation)
    )


@login_required
@require_POST
@page_errors
def organisation_member_add(request: HttpRequest, slug: str) -> HttpResponse:
    user = _user(request)
    organisation = selectors.organisation_get_for(user, slug)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            membership = services.membership_add(
                actor=user, organisation=organisation, **form.cleaned_data
            )
        except DomainError as error:
            if error.http_status in {403, 404}:
                raise
            _show_error(form, error)
        else:
            messages.success(
                request,
                _("%(email)s is now a member.") % {"email": membership.user.email},
            )
            return HttpResponseRedirect(
                reverse("accounts:organisation", kwargs={"slug": organisation.slug})
            )
    selectors.require_role(user, organisation, {"owner"})
    context = _organisation_context(request, organisation)
    context["add_form"] = form
    return render(request, "accounts/organisation.html", context, status=422)


@login_required
@require_POST
@page_errors
def organisation_member(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    """Change a member's role, or remove them (`action=remove`)."""
    user = _user(request)
    organisation = selectors.organisation_get_for(user, slug)
    membership = selectors.membership_get_for(user, organisation, user_id)
    status = 200
    try:
        if request.POST.get("action") == "remove":
            services.membership_remove(actor=user, membership=membership)
            if membership.user_id == user.pk:
                messages.success(request, _("You have left %(name)s.") % {"name": organisation})
                return HttpResponseRedirect(reverse("accounts:organisations"))
            messages.success(request, _("The member is removed."))
        else:
            form = RoleForm(request.POST)
            if not form.is_valid():
                raise DomainError("invalid_request", _("Choose a role."))
            services.membership_role_change(
                actor=user, membership=membership, role=form.cleaned_data["role"]
            )
            messages.success(request, _("The role is changed."))
    except DomainError as error:
        if error.http_status in {403, 404}:
            raise
        messages.error(request, error.message)
        status = error.http_status
    if is_htmx(request):
        context = _organisation_context(request, organisation)
        return render(request, "accounts/organisation.html#members", context, status=status)
    return HttpResponseRedirect(reverse("accounts:organisation", kwargs={"slug": slug}))


@login_required
@require_POST
@page_errors
def organisation_resubmit(request: HttpRequest, slug: str) -> HttpResponse:
    user = _user(request)
    organisation = selectors.organisation_get_for(user, slug)
    try:
        services.organisation_resubmit(actor=user, organisation=organisation)
    except DomainError as error:
        if error.http_status in {403, 404}:
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, _("Submitted for verification again."))
    return HttpResponseRedirect(reverse("accounts:organisation", kwargs={"slug": slug}))


@login_required
@require_POST
@page_errors
def organisation_registration(request: HttpRequest, slug: str) -> HttpResponse:
    """The owner gives or corrects the registration details before verification."""
    user = _user(request)
    organisation = selectors.organisation_get_for(user, slug)
    form = RegistrationForm(request.POST, request.FILES, auto_id="id_registration_%s")
    if form.is_valid():
        try:
            registration.organisation_registration_update(
                actor=user,
                organisation=organisation,
                registration_number=form.cleaned_data["registration_number"],
                address=form.cleaned_data["address"],
                registration_document=form.cleaned_data["registration_document"] or None,
            )
        except DomainError as error:
            if error.http_status in {403, 404}:
                raise
            _show_error(form, error)
        else:
            messages.success(request, _("The registration details are saved."))
            return HttpResponseRedirect(reverse("accounts:organisation", kwargs={"slug": slug}))
    context = _organisation_context(request, organisation, registration_form=form)
    return render(request, "accounts/organisation.html", context, status=422)


@login_required
@require_POST
@page_errors
def organisation_seller_category(request: HttpRequest, slug: str) -> HttpResponse:
    """The owner declares the seller category; a cheaper one waits for the operator."""
    user = _user(request)
    organisation = selectors.organisation_get_for(user, slug)
    if organisation.kind != Organisation.Kind.SELLER:
        raise Http404  # only sellers have a category
    form = SellerCategoryForm(request.POST, auto_id="id_category_%s")
    if form.is_valid():
        chosen = form.cleaned_data["seller_category"]
        before = (organisation.seller_category, organisation.seller_category_requested)
        try:
            updated = services.organisation_seller_category_declare(
                actor=user, organisation=organisation, seller_category=chosen
            )
        except DomainError as error:
            if error.http_status in {403, 404}:
                raise
            _show_error(form, error)
        else:
            label = _category_label(chosen)
            if updated.seller_category_requested == chosen and before[1] != chosen:
                messages.success(
                    request,
                    _(
                        "%(category)s is pending operator review: it lowers the platform fee, "
                        "so the operator checks it first. Until then your current terms apply."
                    )
                    % {"category": label},
                )
            elif (updated.seller_category, updated.seller_category_requested) == before:
                messages.info(request, _("Nothing changed."))
            elif before[0] == chosen:
                messages.success(
                    request,
                    _("Your request is withdrawn; your category stays %(category)s.")
                    % {"category": label},
                )
            else:
                messages.success(
                    request,
                    _("Your seller category is now %(category)s.") % {"category": label},
                )
            return HttpResponseRedirect(
                reverse("accounts:organisation", kwargs={"slug": organisation.slug})
                + "#seller-category"
            )
    selectors.require_role(user, organisation, {"owner"})
    context = _organisation_context(request, organisation)
    context["category_form"] = form
    return render(request, "accounts/organisation.html", context, status=422)


# API tokens --------------------------------------------------------------------------------


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = TokenForm(request.POST or None)
    new_token = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_token = services.api_token_create(user=user, name=form.cleaned_data["name"])
        except DomainError as error:
            _show_error(form, error)
            status = error.http_status
        else:
            form = TokenForm()
    elif request.method == "POST":
        status = 422
    response = render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": selectors.api_tokens_of(user), "new_token": new_token},
        status=status,
    )
    if new_token:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
@page_errors
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    user = _user(request)
    token = selectors.api_token_get_for(user, token_id)
    services.api_token_revoke(actor=user, token=token)
    messages.success(request, _("The token %(prefix)s… is revoked.") % {"prefix": token.prefix})
    return HttpResponseRedirect(reverse("accounts:tokens"))


# The platform operator's pages -------------------------------------------------------------


def _seller_category_review(
    request: HttpRequest, user: User
) -> tuple[HttpResponse | None, str, SellerCategoryReviewForm]:
    """A seller category decision posted: (redirect, "", form) once taken, else (None, slug, the
    form with its errors)."""
    slug = request.POST.get("organisation", "")
    organisation = selectors.organisation_get_for(user, slug)
    review = SellerCategoryReviewForm(request.POST)
    if review.is_valid():
        try:
            services.organisation_seller_category_review(
                actor=user,
                organisation=organisation,
                # The category shown on the page: a request changed since is not decided.
                requested=request.POST.get("requested"),
                **review.cleaned_data,
            )
        except DomainError as error:
            if error.http_status in {403, 404}:
                raise
            _show_error(review, error)
        else:
            decision = review.cleaned_data["decision"]
            messages.success(
                request,
                (
                    _("%(name)s: seller category change approved.")
                    if decision == "approved"
                    else _("%(name)s: seller category change rejected.")
                )
                % {"name": organisation.name},
            )
            return HttpResponseRedirect(request.get_full_path()), "", review
    return None, slug, review


def _organisation_verify(
    request: HttpRequest, user: User
) -> tuple[HttpResponse | None, str, VerificationForm]:
    """A verification decision posted: (redirect, "", form) once taken, else (None, slug, the
    form with its errors)."""
    slug = request.POST.get("organisation", "")
    organisation = selectors.organisation_get_for(user, slug)
    form = VerificationForm(request.POST)
    if form.is_valid():
        try:
            services.organisation_verify(actor=user, organisation=organisation, **form.cleaned_data)
        except DomainError as error:
            if error.http_status in {403, 404}:
                raise
            _show_error(form, error)
        else:
            label = dict(Organisation.Verification.choices)[form.cleaned_data["decision"]]
            messages.success(
                request, _("%(name)s: %(state)s.") % {"name": organisation.name, "state": label}
            )
            return HttpResponseRedirect(request.get_full_path()), "", form
    return None, slug, form


def _category_requests(
    user: User, failed_slug: str, failed_review: SellerCategoryReviewForm | None
) -> list[Organisation]:
    """Organisations asking for another seller category, with their terms and a form each."""
    category_requests = list(selectors.seller_category_requests_for(user))
    for organisation in category_requests:
        organisation.category_label = _category_label(organisation.seller_category)  # type: ignore[attr-defined]
        organisation.category_terms = fee_terms_text(organisation.seller_category)  # type: ignore[attr-defined]
        organisation.requested_label = _category_label(organisation.seller_category_requested)  # type: ignore[attr-defined]
        organisation.requested_terms = fee_terms_text(organisation.seller_category_requested)  # type: ignore[attr-defined]
        organisation.review_form = (  # type: ignore[attr-defined]
            failed_review
            if organisation.slug == failed_slug and failed_review is not None
            else SellerCategoryReviewForm(auto_id=f"id_%s_category_{organisation.slug}")
        )
    return category_requests


@login_required
@page_errors
def operator_organisations(request: HttpRequest) -> HttpResponse:
    """The verification queue: organisations to verify or reject, with a note."""
    user = _user(request)
    state = request.GET.get("state", Organisation.Verification.SUBMITTED)
    if state not in {*Organisation.Verification.values, "all"}:
        state = Organisation.Verification.SUBMITTED
    queryset = selectors.organisations_to_verify_for(user, state="" if state == "all" else state)
    page = paginate(queryset, request.GET.get("page"), per_page=25)
    failed_slug = ""
    failed_form: VerificationForm | None = None
    failed_review: SellerCategoryReviewForm | None = None
    status = 200
    if request.method == "POST" and request.POST.get("review") == "seller_category":
        done, failed_slug, failed_review = _seller_category_review(request, user)
        if done is not None:
            return done
        status = 422
    elif request.method == "POST":
        done, failed_slug, failed_form = _organisation_verify(request, user)
        if done is not None:
            return done
        status = 422
    for organisation in page.items:
        organisation.decision_form = (
            failed_form
            if organisation.slug == failed_slug and failed_form is not None
            else VerificationForm(auto_id=f"id_%s_{organisation.slug}")
        )
    category_requests = _category_requests(user, failed_slug, failed_review)
    return render(
        request,
        "accounts/operator_organisations.html",
        {
            "page": page,
            "state": state,
            "states": [*Organisation.Verification.choices, ("all", _("All"))],
            "category_requests": category_requests,
        },
        status=status,
    )


@login_required
@page_errors
def organisation_document(request: HttpRequest, slug: str) -> HttpResponse:
    """The certificate of registration: for the platform operator and the organisation's
    owners only."""
    user = _user(request)
    organisation = selectors.organisation_get_for(user, slug)
    if not selectors.is_platform_operator(user) and selectors.role_in(user, organisation) != (
        Membership.Role.OWNER
    ):
        raise Http404("no such document")
    if not organisation.registration_document:
        raise Http404("no document")
    handle = organisation.registration_document.open("rb")
    response = FileResponse(handle, as_attachment=False)
    response["X-Content-Type-Options"] = "nosniff"
    suffix = PurePath(organisation.registration_document.name or "").suffix
    response["Content-Disposition"] = f'inline; filename="registration{suffix}"'
    return response  # type: ignore[return-value]


@login_required
@page_errors
def operator_audit(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    action = request.GET.get("action", "").strip()[:100]
    page = paginate(selectors.audit_log_for(user, action=action), request.GET.get("page"))
    context = {"page": page, "action": action, "actions": audit_actions()}
    template = "accounts/operator_audit.html"
    if is_htmx(request):
        template += "#results"
    return render(request, template, context)


@login_required
@page_errors
def operator_outbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    to = request.GET.get("to", "").strip()[:200]
    page = paginate(selectors.outbox_for(user, to=to), request.GET.get("page"), per_page=25)
    template = "accounts/operator_outbox.html"
    if is_htmx(request):
        template += "#results"
    return render(request, template, {"page": page, "to": to})
