"""Settings for eWTP, driven by the environment (see docs/operating.md)."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.conf.locale import LANG_INFO
from django.utils.translation import gettext_lazy as _

from ewtp.core import conf

BASE_DIR = Path(__file__).resolve().parent.parent
# The test suite (pytest) serves plain HTTP to `testserver`; nothing else does.
TESTING = "pytest" in sys.modules
# Every EWTP_* setting, typed, with its default (ewtp/core/conf.py declares them).
_ewtp = conf.from_environment(os.environ, BASE_DIR)
if TESTING and not os.environ.get("EWTP_HTTPS", "").strip():
    _ewtp["EWTP_HTTPS"] = False
globals().update(_ewtp)
VAR_DIR: Path = _ewtp["EWTP_VAR_DIR"]
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_flag("DEBUG", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else a development key kept in var/ (untracked)."""
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
SECRET_KEY_FROM_ENVIRONMENT = bool(os.environ.get("SECRET_KEY", "").strip())

ALLOWED_HOSTS = (
    ["localhost", "127.0.0.1", "[::1]"]
    + (["testserver"] if TESTING else [])
    + [host.strip() for host in os.environ.get("ALLOWED_HOSTS", "").split(",") if host.strip()]
)
CSRF_TRUSTED_ORIGINS = [
    f"https://{host}" for host in ALLOWED_HOSTS if host not in {"localhost", "127.0.0.1"}
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "ewtp.core",
    "ewtp.accounts",
    "ewtp.traderules",
    "ewtp.catalog",
    "ewtp.orders",
    "ewtp.ledger",
    "ewtp.payments",
    "ewtp.logistics",
    "ewtp.customs",
    "ewtp.tourism",
    "ewtp.learning",
    "ewtp.insights",
    "ewtp.forum",
    "ewtp.web",
]

MIDDLEWARE = [
    "ewtp.core.metrics.MetricsMiddleware",
    "ewtp.web.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "ewtp.web.middleware.CSPMiddleware",
    "ewtp.core.staticfiles.StaticFilesMiddleware",
    "ewtp.core.http.RefuseNulBytesMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ewtp.web.middleware.ApiCsrfMiddleware",
    "ewtp.web.middleware.PageMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ewtp.web.middleware.VisitorPreferencesMiddleware",
    "ewtp.web.middleware.ApiMethodNotAllowedMiddleware",
    "ewtp.core.replica.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ewtp.web.context_processors.platform",
            ],
        },
    },
]

# Database: the embedded SQLite file by default, PostgreSQL with DATABASE_URL=postgres://...
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=_ewtp["EWTP_CONN_MAX_AGE"])
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "ewtp.sqlite3"),
            "CONN_MAX_AGE": _ewtp["EWTP_CONN_MAX_AGE"],
        }
    }
# PostgreSQL: server-side binding, and psycopg prepares a statement once it has run this often
# on a connection (options of the URL's query string, such as sslmode, are kept).
_PG_PREPARED = conf.postgres_prepared_options(_ewtp["EWTP_DB_PREPARE_THRESHOLD"])
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {}).update(_PG_PREPARED)
# A read replica (PostgreSQL streaming replication) for the insights pages: the router sends
# their reads there; every write and every other read goes to the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
DATABASE_ROUTERS: list[str] = []
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=_ewtp["EWTP_CONN_MAX_AGE"]
    )
    DATABASES["replica"].setdefault("OPTIONS", {}).update(_PG_PREPARED)
    # Tests have no second server: the replica alias reads the test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["config.dbrouter.ReplicaRouter"]
# The pages whose GETs read from the replica (URL names): dashboards and lists of figures.
REPLICA_READ_VIEWS = frozenset(
    {
        "catalog:dashboard",
        "tourism:dashboard",
        "learning:provider_dashboard",
        "ledger:accounts",
    }
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and immediate transactions: concurrent writers wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

# Languages: English, French, Kinyarwanda, Swahili, Simplified Chinese.
LANG_INFO.setdefault(
    "rw", {"bidi": False, "code": "rw", "name": "Kinyarwanda", "name_local": "Ikinyarwanda"}
)
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("rw", _("Kinyarwanda")),
    ("sw", _("Swahili")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "ewtp" / "locale"]
LANGUAGE_COOKIE_NAME = "ewtp_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT: Path = _ewtp["EWTP_STATIC_ROOT"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            # Hashed names, gzip and brotli copies, built by `ewtp serve` (collectstatic) before
            # gunicorn starts: chosen whether or not they exist yet when settings load.
            "ewtp.core.staticfiles.StaticStorage"
            if not DEBUG and not TESTING
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

# Mail goes to the outbox table (an operator page shows it); SMTP in production via EMAIL_URL.
MAILERS = {"default": {"BACKEND": os.environ.get("EMAIL_BACKEND", "ewtp.core.mail.OutboxBackend")}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "eWTP <noreply@ewtp.local>")

TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if _ewtp["EWTP_TASKS_IMMEDIATE"]
            else "django_tasks_db.DatabaseBackend"
        ),
    }
}

# Landed prices are cached per product, rules version, FX date and destination: room for a
# large catalogue per process. Production with several servers points this at Redis.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }
    # Rate limits count in Redis, shared by every worker and server (without Redis: in the
    # database, see ewtp/core/ratelimit.py).
    CACHES["ratelimit"] = {**CACHES["default"], "KEY_PREFIX": "ewtp"}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG and _ewtp["EWTP_HTTPS"]:
    # Served over HTTPS behind a proxy that sets X-Forwarded-Proto (docs/deploy.md).
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # A load balancer may probe health over plain HTTP inside the private network.
    SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Request bodies: fields beyond this are refused while parsing; a declared Content-Length over
# EWTP_MAX_REQUEST_BYTES is refused (413) before anything is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Content-Security-Policy (django-csp): scripts from this site only, no inline script or
# handler (site.js gives pages their behaviour); stylesheets from this site, style attributes
# allowed (the bars of the charts); QR codes are inline SVG or data: images. The API's
# interactive documentation (Swagger UI from its CDN) is outside the policy.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/v1/docs"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        # No form-action: a checkout form may be redirected to a payment provider's page.
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "ewtp.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            # EWTP_LOG_FORMAT=json: one JSON object a line, for a log collector.
            "formatter": "json" if _ewtp["EWTP_LOG_FORMAT"] == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}
