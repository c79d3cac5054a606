"""Safe by default: with DEBUG off a server redirects to HTTPS and sends HSTS and secure
cookies unless EWTP_HTTPS=off; `check --deploy` is clean; `testserver` is a host only in
tests; request bodies are capped before they are read; the API's session-cookie requests
pass CSRF."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from ewtp.accounts.services import api_token_create
from ewtp.accounts.tests.factories import make_user

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION = {
    "DEBUG": "off",
    "SECRET_KEY": "x" * 10 + "a-long-random-production-secret-key-0123456789-abcdefghij",
    "ALLOWED_HOSTS": "trade.example.rw",
    "EWTP_SIGNING_KEY": "database",
}
PROBE = """
import django, json
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="trade.example.rw")
plain = client.get("/static/web/site.css")
secure = client.get("/api/v1/health", headers={"X-Forwarded-Proto": "https"})
tester = Client().get("/api/v1/health")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "hsts": secure.get("Strict-Transport-Security", ""),
    "testserver": tester.status_code,
    "secure_cookies": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
}))
"""


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("EWTP_", "DJANGO_")) and key not in {"DEBUG", "DATABASE_URL"}
    }
    return {
        **environ,
        **PRODUCTION,
        "EWTP_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **extra,
    }


def _run(arguments: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        arguments, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


def test_a_production_server_is_https_only_with_hsts(tmp_path: Path) -> None:
    probe = _run([sys.executable, "-c", PROBE], _environment(tmp_path))
    assert probe.returncode == 0, probe.stderr
    answer = json.loads(probe.stdout.strip().splitlines()[-1])
    assert answer["plain"] == [301, "https://trade.example.rw/static/web/site.css"]
    assert answer["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert answer["testserver"] == 400  # not a host of a real server
    assert answer["secure_cookies"] == [True, True]

    plain = _run([sys.executable, "-c", PROBE], _environment(tmp_path, EWTP_HTTPS="off"))
    answer = json.loads(plain.stdout.strip().splitlines()[-1])
    assert answer["plain"][0] == 200
    assert answer["hsts"] == ""
    assert answer["secure_cookies"] == [False, False]


def test_check_deploy_is_clean_with_a_production_environment(tmp_path: Path) -> None:
    ewtp = str(Path(sys.executable).parent / "ewtp")
    clean = _run([ewtp, "check", "--deploy", "--fail-level", "WARNING"], _environment(tmp_path))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "System check identified no issues" in clean.stdout

    missing = _run([ewtp, "check", "--deploy"], _environment(tmp_path, EWTP_SIGNING_KEY=""))
    assert missing.returncode == 1
    assert "EWTP_SIGNING_KEY is not set" in missing.stderr


@pytest.mark.django_db
def test_a_body_over_the_cap_is_refused_before_it_is_read(client: Client, settings) -> None:
    settings.EWTP_MAX_REQUEST_BYTES = 1000
    big = client.post("/api/v1/carts", data=b"x" * 1001, content_type="application/json")
    assert big.status_code == 413
    assert big.json()["code"] == "too_large"
    page = client.post("/accounts/signup/", data={"full_name": "x" * 2000})
    assert page.status_code == 413
    assert (
        client.post("/api/v1/carts", data=b"{}", content_type="application/json").status_code == 201
    )


@pytest.mark.django_db
def test_a_session_cookie_post_to_the_api_needs_the_csrf_token() -> None:
    user = make_user("ann@example.org")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    # What a page of another site can make a logged-in browser send: the cookie, no token.
    forged = browser.post(
        "/api/v1/carts",
        data="{}",
        content_type="application/json",
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status_code == 403
    assert forged.json()["code"] == "csrf_failed"

    browser.get("/accounts/profile/")  # the page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    same_site = browser.post(
        "/api/v1/carts", data="{}", content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert same_site.status_code == 201

    _, clear = api_token_create(user=user, name="script")
    program = Client(enforce_csrf_checks=True)
    with_token = program.post(
        "/api/v1/carts",
        data="{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {clear}"},
    )
    assert with_token.status_code == 201
    guest = Client(enforce_csrf_checks=True).post(
        "/api/v1/carts", data="{}", content_type="application/json"
    )
    assert guest.status_code == 201


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_no_template_has_an_inline_script_or_handler() -> None:
    found = []
    for template in sorted((ROOT / "ewtp").glob("*/templates/**/*.html")):
        text = template.read_text()
        for pattern in (_INLINE_SCRIPT, _HANDLER, re.compile(r"javascript:", re.I)):
            found += [f"{template.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert found == []


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_scripts(client: Client) -> None:
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(
        ([*part.strip().split(" ", 1), ""])[:2] for part in policy.split(";") if part.strip()
    )
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in directives["style-src"]


@pytest.mark.django_db
def test_messages_are_stored_for_pages_and_not_built_for_the_api(client: Client) -> None:
    from django.contrib.messages import get_messages

    api = client.get("/api/v1/health")
    page = client.get("/")
    assert api.status_code == 200 and not hasattr(api.wsgi_request, "_messages")
    assert page.status_code == 200 and hasattr(page.wsgi_request, "_messages")
    assert list(get_messages(api.wsgi_request)) == []  # an API request reads no messages
    # The security headers of an API answer are unchanged.
    assert api["X-Content-Type-Options"] == "nosniff" and api["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_the_api_and_the_pages_carry_the_same_content_security_policy(client: Client) -> None:
    from csp.utils import build_policy

    api = client.get("/api/v1/health")
    page = client.get("/")
    assert api["Content-Security-Policy"] == page["Content-Security-Policy"] == build_policy()
    assert "Content-Security-Policy-Report-Only" not in api
    # The interactive docs are left out by the settings, as django-csp leaves them.
    assert "Content-Security-Policy" not in client.get("/api/v1/docs")


def test_a_policy_changed_for_one_answer_or_by_the_settings_is_honoured() -> None:
    from django.http import HttpResponse
    from django.test import RequestFactory, override_settings

    from ewtp.web.middleware import CSPMiddleware

    middleware = CSPMiddleware(lambda request: HttpResponse())

    def answer(**attributes: object) -> HttpResponse:
        request = RequestFactory().get("/api/v1/health")
        middleware.process_request(request)
        response = HttpResponse()
        for name, value in attributes.items():
            setattr(response, name, value)
        return middleware.process_response(request, response)  # type: ignore[return-value]

    plain = answer()["Content-Security-Policy"]
    assert "img-src 'self' data:" in plain
    updated = answer(_csp_update={"img-src": ["https://tiles.example"]})
    assert "img-src 'self' data: https://tiles.example" in updated["Content-Security-Policy"]
    assert "Content-Security-Policy" not in answer(_csp_exempt=True)
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        assert answer()["Content-Security-Policy"] == "default-src 'none'"
    assert answer()["Content-Security-Policy"] == plain
