"""`ewtp fx fetch`: the ECB's daily euro reference rates, read from ``EWTP_FX_URL``.

The ECB publishes the day's rates as XML (``eurofxref-daily.xml``), as a one-day CSV and as
the ZIP of that CSV. Any of the three is read, turned into the one-day CSV shape and imported
like a file (``fx_import``: idempotent, every row checked, nothing written on a bad one). The
worker runs it once a day; an empty URL switches the fetch off.
"""

from __future__ import annotations

import io
import tempfile
import urllib.request
import zipfile
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from ewtp.core import conf
from ewtp.traderules.errors import RatesInvalid
from ewtp.traderules.services.fx import FxImportResult, fx_import

MAX_BYTES = 5_000_000
TIMEOUT_SECONDS = 30
_SCHEMES = ("http://", "https://", "file://")
_ECB_NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"


def _download(url: str) -> bytes:
    if not url.startswith(_SCHEMES):
        raise RatesInvalid("invalid_rates", f"EWTP_FX_URL must be an http(s) or file URL: {url!r}")
    request = urllib.request.Request(url, headers={"User-Agent": "eWTP fx fetch"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            body: bytes = response.read(MAX_BYTES + 1)
    except OSError as error:  # URLError, HTTPError, timeouts, a missing file
        raise RatesInvalid("fx_fetch_failed", f"Could not read {url}: {error}") from None
    if len(body) > MAX_BYTES:
        raise RatesInvalid("invalid_rates", f"{url} is larger than {MAX_BYTES} bytes.")
    return body


def _from_zip(body: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = [name for name in archive.namelist() if name.lower().endswith(".csv")]
        if not names:
            raise RatesInvalid("invalid_rates", "The ZIP holds no CSV file.")
        with archive.open(names[0]) as member:
            return member.read(MAX_BYTES).decode("utf-8")


def _from_xml(text: str) -> str:
    """The ECB's daily XML (Cube time=... / Cube currency rate) as the one-day CSV shape."""
    try:
        root = ElementTree.fromstring(text)  # noqa: S314 - the ECB's file, size-capped
    except ElementTree.ParseError as error:
        raise RatesInvalid("invalid_rates", f"The rate XML does not parse: {error}") from None
    days = [cube for cube in root.iter(f"{_ECB_NS}Cube") if cube.get("time")]
    if not days:
        raise RatesInvalid("invalid_rates", "The rate XML has no dated Cube.")
    header = ["Date"]
    rows: list[str] = []
    currencies: list[str] = []
    for day in days:
        rates = {cube.get("currency", ""): cube.get("rate", "") for cube in day}
        if not currencies:
            currencies = [currency for currency in rates if currency]
        date.fromisoformat(str(day.get("time")))  # a bad date fails here
        rows.append(",".join([str(day.get("time"))] + [rates.get(c, "N/A") for c in currencies]))
    header += currencies
    return "\n".join([",".join(header), *rows]) + "\n"


def rates_text(body: bytes) -> str:
    """The fetched bytes as ECB CSV text, whichever of the ECB's shapes they are."""
    if body.startswith(b"PK\x03\x04"):
        return _from_zip(body)
    try:
        text = body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise RatesInvalid("invalid_rates", "The rates are not UTF-8 text.") from None
    if text.lstrip().startswith("<"):
        return _from_xml(text)
    return text


def fx_fetch(url: str | None = None) -> FxImportResult:
    """Fetch the ECB's rates from ``url`` (default EWTP_FX_URL) and import them (origin ecb)."""
    source = url if url is not None else conf.FX_URL()
    text = rates_text(_download(source))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "eurofxref.csv"
        path.write_text(text, encoding="utf-8")
        return fx_import(path, actor=None)


def fx_fetch_daily() -> dict[str, Any]:
    """The worker's daily job: nothing when EWTP_FX_URL is empty (switched off)."""
    if not conf.FX_URL():
        return {"fetched": False, "reason": "EWTP_FX_URL is empty"}
    return {"fetched": True, **fx_fetch().as_dict()}
