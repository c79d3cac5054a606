"""Every ``EWTP_*`` setting, declared once: its name, type, default and meaning.

``config/settings.py`` turns the environment into Django settings with :func:`from_environment`;
code reads a setting by calling its declaration, which looks up the live Django setting (so that
tests may override it)::

    from ewtp.core import conf

    minutes = conf.CHECKOUT_HOLD_MINUTES()

``docs/operating.md`` lists the same table; a test keeps the two in step.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from django.conf import settings

_TRUE = {"1", "true", "yes", "on"}


def parse_flag(text: str) -> bool:
    return text.strip().lower() in _TRUE


def parse_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_json(text: str) -> Any:
    return json.loads(text)


@dataclass(frozen=True, slots=True)
class Setting[T]:
    """One setting: ``EWTP_<name>`` in the environment and in Django's settings."""

    name: str
    parse: Callable[[str], T]
    default: str
    meaning: str

    def from_text(self, text: str | None) -> T:
        """The typed value of the environment's text; empty or absent gives the default."""
        if text is None or not text.strip():
            text = self.default
        return self.parse(text)

    def __call__(self) -> T:
        """The value in force (Django's settings, which tests may override)."""
        if hasattr(settings, self.name):
            return cast(T, getattr(settings, self.name))
        return self.from_text(None)


_ALL: list[Setting[Any]] = []


def _declare[T](name: str, parse: Callable[[str], T], default: str, meaning: str) -> Setting[T]:
    declared = Setting(name, parse, default, meaning)
    _ALL.append(declared)
    return declared


def _site_url(text: str) -> str:
    return text.strip().rstrip("/")


def _ioss_number(text: str) -> str:
    return text.strip().upper()


def _non_negative(text: str) -> int:
    return max(int(text), 0)


def _niceness(text: str) -> int:
    return min(max(int(text), 0), 19)


def _seconds(text: str) -> float:
    return max(float(text), 0.0)


# -- Serving --------------------------------------------------------------------------------
HTTPS = _declare(
    "EWTP_HTTPS",
    parse_flag,
    "on",
    "With DEBUG off: secure cookies, HSTS and redirect to HTTPS; off for plain HTTP on a private network.",
)
MAX_REQUEST_BYTES = _declare(
    "EWTP_MAX_REQUEST_BYTES",
    _non_negative,
    "10485760",
    "The largest request body accepted (a larger Content-Length is refused with 413 unread).",
)
API_TOKEN_DAYS = _declare(
    "EWTP_API_TOKEN_DAYS",
    _non_negative,
    "30",
    "Days an API bearer token is valid after it is issued (0: tokens do not expire).",
)
SITE_URL = _declare(
    "EWTP_SITE_URL",
    _site_url,
    "http://127.0.0.1:8000",
    "The public address of the platform, written into signed documents, QR codes and mails.",
)
TRUSTED_PROXIES = _declare(
    "EWTP_TRUSTED_PROXIES",
    _non_negative,
    "0",
    "How many reverse proxies append to X-Forwarded-For (0: the socket's address is the client).",
)
RATE_LIMITS = _declare(
    "EWTP_RATE_LIMITS",
    parse_flag,
    "on",
    "Per-client request limits; off only for load tests on a private network.",
)
CONN_MAX_AGE = _declare(
    "EWTP_CONN_MAX_AGE",
    int,
    "0",
    "Seconds a database connection is kept between requests (`ewtp serve` sets 600).",
)
DB_PREPARE_THRESHOLD = _declare(
    "EWTP_DB_PREPARE_THRESHOLD",
    int,
    "2",
    "On PostgreSQL, a statement run this many times on one connection is prepared on the "
    "server (parsed and planned once) and its values sent apart from its text; 0 sends every "
    "statement whole, as a pooler in transaction mode without prepared-statement support needs.",
)


def postgres_prepared_options(threshold: int) -> dict[str, Any]:
    """The PostgreSQL connection options for EWTP_DB_PREPARE_THRESHOLD: server-side binding with
    psycopg preparing a statement once it has run ``threshold`` times; none for 0."""
    if threshold <= 0:
        return {}
    return {"server_side_binding": True, "prepare_threshold": threshold}


ACCESS_LOG = _declare(
    "EWTP_ACCESS_LOG",
    str,
    "-",
    "Where `ewtp serve` writes its access log (`-` is standard output).",
)
TASKS_IMMEDIATE = _declare(
    "EWTP_TASKS_IMMEDIATE",
    parse_flag,
    "off",
    "Run background tasks in the request's process instead of the worker (development only).",
)
WORKER_INTERVAL = _declare(
    "EWTP_WORKER_INTERVAL",
    _seconds,
    "2",
    "Seconds `ewtp worker` waits, with nothing to do, before it looks again (`--interval` "
    "overrides it); on PostgreSQL a queued task wakes it sooner.",
)
WORKER_LISTEN = _declare(
    "EWTP_WORKER_LISTEN",
    parse_flag,
    "on",
    "On PostgreSQL the worker waits on LISTEN and a task wakes it when the transaction that "
    "queued it commits; off behind a pooler in transaction mode (PgBouncer), to poll instead.",
)
WORKER_NICE = _declare(
    "EWTP_WORKER_NICE",
    _niceness,
    "10",
    "The CPU niceness `ewtp worker` runs at (0 to 19): mails, webhooks and reports yield the "
    "processor to the requests being served on the same machine, and catch up when they ease.",
)
VAR_DIR = _declare(
    "EWTP_VAR_DIR",
    Path,
    "var",
    "Folder for the embedded database, media and development keys (relative to the checkout).",
)
STATIC_ROOT = _declare(
    "EWTP_STATIC_ROOT",
    Path,
    "staticfiles",
    "Folder `ewtp serve` collects the static files into (hashed, compressed; relative to the checkout).",
)
SIGNING_KEY = _declare(
    "EWTP_SIGNING_KEY",
    str,
    "",
    "The Ed25519 signing key (PEM, or a path to one), or `database` for a key set held in the "
    "database and rotated by `ewtp keys rotate`; required by a public server (DEBUG off, "
    "EWTP_HTTPS on); empty elsewhere means `database`.",
)

LOG_FORMAT = _declare(
    "EWTP_LOG_FORMAT",
    str,
    "plain",
    "How logs are written: `plain` text lines, or `json` (one object a line, for a collector).",
)
METRICS_TOKEN = _declare(
    "EWTP_METRICS_TOKEN",
    str,
    "",
    "The bearer token /metrics requires; empty: /metrics answers only the server's own address.",
)
LOCK_TIMEOUT_MS = _declare(
    "EWTP_LOCK_TIMEOUT_MS",
    _non_negative,
    "5000",
    "On PostgreSQL, the longest a transaction waits for a row lock before answering busy (ms).",
)

# -- Money and holds ------------------------------------------------------------------------
PLATFORM_FEE_RATE = _declare(
    "EWTP_PLATFORM_FEE_RATE",
    str,
    "0.05",
    "The platform's fee on the goods of an order, as a fraction (0.05 is 5%).",
)
PLATFORM_FEE_MINIMUM = _declare(
    "EWTP_PLATFORM_FEE_MINIMUM",
    str,
    "500 RWF",
    "The smallest platform fee per order, an amount and its currency.",
)
PLATFORM_FEES = _declare(
    "EWTP_PLATFORM_FEES",
    parse_json,
    '{"cooperative": {"rate": "0.03", "minimum": "300 RWF"}}',
    "Other fee terms per seller category, as JSON {category: {rate, minimum}}.",
)
AUTO_CONFIRM_DAYS = _declare(
    "EWTP_AUTO_CONFIRM_DAYS",
    int,
    "7",
    "Days after delivery when an order the buyer has not confirmed is confirmed for them.",
)
CHECKOUT_HOLD_MINUTES = _declare(
    "EWTP_CHECKOUT_HOLD_MINUTES",
    int,
    "30",
    "Minutes a checkout holds its stock while the buyer pays.",
)
PAYMENT_TTL_MINUTES = _declare(
    "EWTP_PAYMENT_TTL_MINUTES",
    int,
    "30",
    "Minutes a payment request stays open at the provider.",
)
TOURISM_HOLD_MINUTES = _declare(
    "EWTP_TOURISM_HOLD_MINUTES",
    int,
    "20",
    "Minutes a booking holds its places while the visitor pays.",
)
TOURISM_PLATFORM_FEE_RATE = _declare(
    "EWTP_TOURISM_PLATFORM_FEE_RATE",
    str,
    "0.05",
    "The platform's fee on a booking's price, as a fraction.",
)


def _incomplete_quote_policy(text: str) -> str:
    value = text.strip().lower()
    if value not in {"dap", "refuse"}:
        raise ValueError("EWTP_INCOMPLETE_QUOTE is dap or refuse")
    return value


INCOMPLETE_QUOTE = _declare(
    "EWTP_INCOMPLETE_QUOTE",
    _incomplete_quote_policy,
    "dap",
    "A cross-border cart whose duty or tax is unknown: dap sells it with the unknown part due "
    "on delivery, refuse does not sell it; never sold duties-paid.",
)
FX_URL = _declare(
    "EWTP_FX_URL",
    str,
    "https://www.ecb.europa.eu/stats/eurofxref/eurofxref.zip",
    "Where `ewtp fx fetch` reads the ECB daily reference rates (XML, CSV or the ZIP of a CSV; "
    "http, https or file URL).",
)
FX_MAX_AGE_DAYS = _declare(
    "EWTP_FX_MAX_AGE_DAYS",
    _non_negative,
    "7",
    "A price worked out on an exchange rate older than this many days is not sold (0: no limit).",
)

# -- Trade insights -------------------------------------------------------------------------
INSIGHTS_MIN_ORDERS = _declare(
    "EWTP_INSIGHTS_MIN_ORDERS",
    int,
    "5",
    "The public insights show a seller's own figures only from this many orders up.",
)
INSIGHTS_CACHE_SECONDS = _declare(
    "EWTP_INSIGHTS_CACHE_SECONDS",
    int,
    "600",
    "How long insight figures may lag behind new orders (a new day recomputes them).",
)

# -- Payment providers ----------------------------------------------------------------------
PAYMENT_PROVIDERS = _declare(
    "EWTP_PAYMENT_PROVIDERS",
    parse_list,
    "",
    "Payment providers offered, comma-separated, in the order buyers see them (sandbox, momo-sim,"
    " mtn-momo, airtel-money, flutterwave); empty offers none.",
)
PROVIDER_TIMEOUT_SECONDS = _declare(
    "EWTP_PROVIDER_TIMEOUT_SECONDS",
    float,
    "15",
    "Seconds to wait for a payment provider's answer; a timeout leaves the request unknown.",
)
WEBHOOK_BASE_URL = _declare(
    "EWTP_WEBHOOK_BASE_URL",
    str,
    "",
    "Where the sandbox provider posts its webhooks (empty: delivered in process).",
)
SANDBOX_WEBHOOK_SECRET = _declare(
    "EWTP_SANDBOX_WEBHOOK_SECRET",
    str,
    "",
    "The sandbox provider's webhook signing secret (empty: derived from SECRET_KEY).",
)
SANDBOX_OUTAGE = _declare(
    "EWTP_SANDBOX_OUTAGE",
    parse_flag,
    "off",
    "Make the sandbox provider refuse every call, to rehearse a provider outage.",
)
MOMO_BASE_URL = _declare(
    "EWTP_MOMO_BASE_URL",
    str,
    "",
    "Base URL of the mobile-money simulator momo-sim talks to (empty: the built-in one, in process).",
)
MOMO_TOKEN = _declare(
    "EWTP_MOMO_TOKEN",
    str,
    "sandbox-token",
    "The bearer token the mobile-money simulator requires (and momo-sim sends).",
)
MOMO_ENVIRONMENT = _declare(
    "EWTP_MOMO_ENVIRONMENT",
    str,
    "sandbox",
    "The mobile-money simulator's X-Target-Environment.",
)
MTN_BASE_URL = _declare(
    "EWTP_MTN_BASE_URL",
    _site_url,
    "https://sandbox.momodeveloper.mtn.com",
    "MTN MoMo Open API base URL (Rwanda production: the one MTN gives at go-live).",
)
MTN_ENVIRONMENT = _declare(
    "EWTP_MTN_ENVIRONMENT",
    str,
    "sandbox",
    "MTN MoMo X-Target-Environment (sandbox; mtnrwanda in production, to confirm with MTN).",
)
MTN_CALLBACK_URL = _declare(
    "EWTP_MTN_CALLBACK_URL",
    str,
    "",
    "Public URL MTN calls back (…/api/v1/payments/callbacks/mtn-momo); empty sends none (polling).",
)
MTN_COLLECTION_USER = _declare(
    "EWTP_MTN_COLLECTION_USER", str, "", "MTN MoMo Collection API user (a UUID)."
)
MTN_COLLECTION_KEY = _declare(
    "EWTP_MTN_COLLECTION_KEY", str, "", "MTN MoMo Collection API key (secret)."
)
MTN_COLLECTION_KEY_FILE = _declare(
    "EWTP_MTN_COLLECTION_KEY_FILE", str, "", "A file holding EWTP_MTN_COLLECTION_KEY."
)
MTN_COLLECTION_SUBSCRIPTION = _declare(
    "EWTP_MTN_COLLECTION_SUBSCRIPTION",
    str,
    "",
    "MTN MoMo Collection subscription key, Ocp-Apim-Subscription-Key (secret).",
)
MTN_COLLECTION_SUBSCRIPTION_FILE = _declare(
    "EWTP_MTN_COLLECTION_SUBSCRIPTION_FILE",
    str,
    "",
    "A file holding EWTP_MTN_COLLECTION_SUBSCRIPTION.",
)
MTN_DISBURSEMENT_USER = _declare(
    "EWTP_MTN_DISBURSEMENT_USER", str, "", "MTN MoMo Disbursement API user (a UUID)."
)
MTN_DISBURSEMENT_KEY = _declare(
    "EWTP_MTN_DISBURSEMENT_KEY", str, "", "MTN MoMo Disbursement API key (secret)."
)
MTN_DISBURSEMENT_KEY_FILE = _declare(
    "EWTP_MTN_DISBURSEMENT_KEY_FILE", str, "", "A file holding EWTP_MTN_DISBURSEMENT_KEY."
)
MTN_DISBURSEMENT_SUBSCRIPTION = _declare(
    "EWTP_MTN_DISBURSEMENT_SUBSCRIPTION",
    str,
    "",
    "MTN MoMo Disbursement subscription key (secret).",
)
MTN_DISBURSEMENT_SUBSCRIPTION_FILE = _declare(
    "EWTP_MTN_DISBURSEMENT_SUBSCRIPTION_FILE",
    str,
    "",
    "A file holding EWTP_MTN_DISBURSEMENT_SUBSCRIPTION.",
)
AIRTEL_BASE_URL = _declare(
    "EWTP_AIRTEL_BASE_URL",
    _site_url,
    "https://openapiuat.airtel.africa",
    "Airtel Money Open API base URL (production: https://openapi.airtel.africa).",
)
AIRTEL_COUNTRY = _declare("EWTP_AIRTEL_COUNTRY", str, "RW", "Airtel Money X-Country.")
AIRTEL_CURRENCY = _declare("EWTP_AIRTEL_CURRENCY", str, "RWF", "Airtel Money X-Currency.")
AIRTEL_CLIENT_ID = _declare("EWTP_AIRTEL_CLIENT_ID", str, "", "Airtel Money application client id.")
AIRTEL_CLIENT_SECRET = _declare(
    "EWTP_AIRTEL_CLIENT_SECRET", str, "", "Airtel Money application client secret (secret)."
)
AIRTEL_CLIENT_SECRET_FILE = _declare(
    "EWTP_AIRTEL_CLIENT_SECRET_FILE", str, "", "A file holding EWTP_AIRTEL_CLIENT_SECRET."
)
AIRTEL_PIN = _declare(
    "EWTP_AIRTEL_PIN", str, "", "The disbursement wallet's PIN (secret; sent RSA-encrypted)."
)
AIRTEL_PIN_FILE = _declare("EWTP_AIRTEL_PIN_FILE", str, "", "A file holding EWTP_AIRTEL_PIN.")
AIRTEL_PUBLIC_KEY = _declare(
    "EWTP_AIRTEL_PUBLIC_KEY",
    str,
    "",
    "Airtel's RSA public key (PEM text or a path) the PIN is encrypted with.",
)
AIRTEL_CALLBACK_KEY = _declare(
    "EWTP_AIRTEL_CALLBACK_KEY",
    str,
    "",
    "Airtel callback authentication key (secret); when set, callbacks without a valid hash are refused.",
)
AIRTEL_CALLBACK_KEY_FILE = _declare(
    "EWTP_AIRTEL_CALLBACK_KEY_FILE", str, "", "A file holding EWTP_AIRTEL_CALLBACK_KEY."
)
FLUTTERWAVE_BASE_URL = _declare(
    "EWTP_FLUTTERWAVE_BASE_URL",
    _site_url,
    "https://api.flutterwave.com",
    "Flutterwave API base URL (the mode, test or live, follows the secret key).",
)
FLUTTERWAVE_SECRET_KEY = _declare(
    "EWTP_FLUTTERWAVE_SECRET_KEY", str, "", "Flutterwave v3 secret key (secret)."
)
FLUTTERWAVE_SECRET_KEY_FILE = _declare(
    "EWTP_FLUTTERWAVE_SECRET_KEY_FILE", str, "", "A file holding EWTP_FLUTTERWAVE_SECRET_KEY."
)
FLUTTERWAVE_SECRET_HASH = _declare(
    "EWTP_FLUTTERWAVE_SECRET_HASH",
    str,
    "",
    "Flutterwave webhook secret hash (secret): the verif-hash header must carry it.",
)
FLUTTERWAVE_SECRET_HASH_FILE = _declare(
    "EWTP_FLUTTERWAVE_SECRET_HASH_FILE", str, "", "A file holding EWTP_FLUTTERWAVE_SECRET_HASH."
)

# -- Payouts and reconciliation -------------------------------------------------------------
PAYOUT_PROVIDER = _declare(
    "EWTP_PAYOUT_PROVIDER",
    str,
    "",
    "Provider that sends payouts (empty: the first named provider that can pay out).",
)
PAYOUT_EVERY_DAYS = _declare(
    "EWTP_PAYOUT_EVERY_DAYS",
    int,
    "7",
    "Days between scheduled payout batches (0: payouts only by hand).",
)
PAYOUT_MINIMUM = _declare(
    "EWTP_PAYOUT_MINIMUM",
    parse_list,
    "5000 RWF",
    "Smallest payout per currency, comma-separated amounts (e.g. 5000 RWF,10 EUR); less waits.",
)
MONEY_TASK_MAX_ATTEMPTS = _declare(
    "EWTP_MONEY_TASK_MAX_ATTEMPTS",
    int,
    "12",
    "Attempts of a money task (with doubling back-off) before it is parked for the operator.",
)

# -- Catalogue of the deployment ------------------------------------------------------------
CURRENCIES = _declare(
    "EWTP_CURRENCIES",
    parse_list,
    "RWF,EUR,USD,CNY,GBP,KES,MYR",
    "Currencies buyers may see prices in, comma-separated ISO 4217 codes.",
)
DESTINATIONS = _declare(
    "EWTP_DESTINATIONS",
    parse_list,
    "BE,FR,DE,NL,CN,US,GB,MY,KE,RW",
    "Countries the shop offers as destinations, comma-separated ISO 3166-1 codes.",
)
IOSS_NUMBER = _declare(
    "EWTP_IOSS_NUMBER",
    _ioss_number,
    "",
    "The platform's EU Import One-Stop Shop number (IM...); when set, EU low-value sales collect "
    "their VAT at checkout under IOSS, when empty the VAT is due at the border.",
)
DATA_DIR = _declare(
    "EWTP_DATA_DIR",
    Path,
    "data",
    "Folder of the shipped reference data (rules, HS, rates; relative to the checkout).",
)
RULES_SCHEDULES = _declare(
    "EWTP_RULES_SCHEDULES",
    parse_flag,
    "on",
    "Load the full tariff schedules and VAT by product (data/rules/schedules) with the shipped "
    "rules after migrate (off: the curated rules only).",
)


def secret(value: Setting[str], file: Setting[str]) -> str:
    """A secret from its setting, or else from the file its ``_FILE`` setting names."""
    text = value()
    if text:
        return text
    path = file()
    return Path(path).read_text().strip() if path else ""


def declared() -> tuple[Setting[Any], ...]:
    """Every setting, in the order of this module."""
    return tuple(_ALL)


def from_environment(environ: Mapping[str, str], base_dir: Path) -> dict[str, Any]:
    """Django settings for every declaration, from the environment or the default."""
    values: dict[str, Any] = {}
    for setting in _ALL:
        value = setting.from_text(environ.get(setting.name))
        if isinstance(value, Path) and not value.is_absolute():
            value = base_dir / value
        values[setting.name] = value
    return values
