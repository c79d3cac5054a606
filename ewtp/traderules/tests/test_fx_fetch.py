"""`ewtp fx fetch`: the ECB's daily rates as XML, CSV or ZIP, from a file or an HTTP server."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command

from ewtp.core import clock
from ewtp.core.errors import DomainError
from ewtp.traderules.models import ExchangeRate
from ewtp.traderules.services.fx_fetch import fx_fetch, fx_fetch_daily

pytestmark = pytest.mark.django_db

RATES = {"USD": "1.0512", "JPY": "158.42", "GBP": "0.83215", "CNY": "7.6231"}


def ecb_xml(day: date, rates: dict[str, str] = RATES) -> str:
    """The ECB's eurofxref-daily.xml, in its own shape and namespaces."""
    cubes = "\n".join(
        f"\t\t\t<Cube currency='{currency}' rate='{rate}'/>" for currency, rate in rates.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
        'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">\n'
        "\t<gesmes:subject>Reference rates</gesmes:subject>\n"
        "\t<gesmes:Sender>\n\t\t<gesmes:name>European Central Bank</gesmes:name>\n"
        "\t</gesmes:Sender>\n"
        f"\t<Cube>\n\t\t<Cube time='{day.isoformat()}'>\n{cubes}\n\t\t</Cube>\n\t</Cube>\n"
        "</gesmes:Envelope>\n"
    )


def ecb_csv(day: date) -> str:
    """The one-day CSV inside eurofxref.zip: a trailing comma, a space after each comma."""
    header = "Date, " + ", ".join(RATES) + ", \n"
    return header + day.strftime("%d %B %Y") + ", " + ", ".join(RATES.values()) + ", \n"


def _rates(day: date) -> dict[str, Decimal]:
    return {
        rate.currency: rate.units_per_eur
        for rate in ExchangeRate.objects.filter(origin=ExchangeRate.Origin.ECB, date=day)
    }


def test_the_daily_xml_from_a_file_url_is_imported_once(tmp_path: Path) -> None:
    today = clock.today()
    path = tmp_path / "eurofxref-daily.xml"
    path.write_text(ecb_xml(today), encoding="utf-8")
    result = fx_fetch(path.as_uri())
    assert (result.origin, result.created, result.updated) == ("ecb", 4, 0)
    assert _rates(today) == {c: Decimal(r) for c, r in RATES.items()}
    again = fx_fetch(path.as_uri())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


@pytest.fixture
def ecb_server() -> Iterator[tuple[str, dict[str, bytes]]]:
    files: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"not found")

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", files
    server.shutdown()
    server.server_close()


def test_the_zip_and_the_xml_over_http_and_the_daily_job(ecb_server, settings) -> None:  # type: ignore[no-untyped-def]
    base, files = ecb_server
    today = clock.today()
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("eurofxref.csv", ecb_csv(today))
    files["/eurofxref.zip"] = packed.getvalue()
    files["/eurofxref-daily.xml"] = ecb_xml(today, {**RATES, "USD": "1.0600"}).encode()
    assert fx_fetch(f"{base}/eurofxref.zip").created == 4
    assert _rates(today)["USD"] == Decimal("1.0512")
    settings.EWTP_FX_URL = f"{base}/eurofxref-daily.xml"
    result = fx_fetch_daily()
    assert (result["fetched"], result["updated"]) == (True, 1)  # the same day, corrected
    assert _rates(today)["USD"] == Decimal("1.0600")
    settings.EWTP_FX_URL = ""
    assert fx_fetch_daily() == {"fetched": False, "reason": "EWTP_FX_URL is empty"}


def test_the_command_reads_the_url_setting(tmp_path: Path, settings, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "eurofxref-daily.xml"
    path.write_text(ecb_xml(clock.today()), encoding="utf-8")
    settings.EWTP_FX_URL = path.as_uri()
    call_command("fx", "fetch")
    assert '"created": 4' in capsys.readouterr().out


def test_bad_answers_change_nothing(ecb_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, files = ecb_server
    before = ExchangeRate.objects.count()
    files["/bad.xml"] = ecb_xml(clock.today(), {"USD": "-1"}).encode()
    files["/broken.xml"] = b"<gesmes:Envelope"
    for url, code in (
        (f"{base}/missing.xml", "fx_fetch_failed"),
        (f"{base}/bad.xml", "invalid_rates"),
        (f"{base}/broken.xml", "invalid_rates"),
        ("ftp://example.org/rates.xml", "invalid_rates"),
        ((tmp_path / "none.xml").as_uri(), "fx_fetch_failed"),
    ):
        with pytest.raises(DomainError) as error:
            fx_fetch(url)
        assert error.value.code == code, url
    assert ExchangeRate.objects.count() == before


def test_the_demo_carries_stale_rates_forward_once_and_says_so(settings) -> None:  # type: ignore[no-untyped-def]
    from ewtp.traderules.demo import demo_rates_carry_forward
    from ewtp.traderules.selectors.published import stale_currencies
    from ewtp.web.demo import load_base

    settings.EWTP_FX_MAX_AGE_DAYS = 7
    load_base(io.StringIO())
    stale = [item["currency"] for item in stale_currencies()]
    assert "RWF" in stale and "USD" in stale
    assert demo_rates_carry_forward() == len(stale)
    assert stale_currencies() == []
    rwf = ExchangeRate.objects.get(currency="RWF", date=clock.today())
    assert rwf.origin == ExchangeRate.Origin.OPERATOR
    assert rwf.source.startswith("Demo data: the 2026-") and "not a market rate" in rwf.source
    assert demo_rates_carry_forward() == 0
