"""The printed papers are real PDFs: each opens with pypdf and carries the order's codes and
amounts; page images are saved under test-output/documents/ for review (if pdftoppm is
installed). And CN 22 or CN 23 at the 300 SDR threshold."""

import io
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from ewtp.core.money import Money
from ewtp.customs.dossier import papers_for, postal_form_for
from ewtp.customs.models import SdrRate
from ewtp.customs.pdf import (
    commercial_invoice_pdf,
    origin_statement_text,
    postal_form_pdf,
)
from ewtp.logistics.pdf import label_pdf
from ewtp.logistics.tests.factories import packed, paid_order, world

OUTPUT = Path(__file__).resolve().parents[3] / "test-output" / "documents"


def _text(pdf: bytes, name: str) -> str:
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.pdf"
    path.write_bytes(pdf)
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(path), str(OUTPUT / name)], check=True, timeout=60
        )
    return "\n".join(page.extract_text() or "" for page in reader.pages)


@pytest.fixture
def w(db):
    return world()


@pytest.mark.django_db
def test_the_postal_form_threshold_is_300_sdr():
    SdrRate.objects.create(
        currency="EUR", units_per_sdr=Decimal("1.25"), valid_on=date(2030, 1, 1), source="test"
    )
    day = date(2030, 6, 1)
    at_limit = postal_form_for(Money.of("375.00", "EUR"), day)  # exactly 300 SDR
    above = postal_form_for(Money.of("375.01", "EUR"), day)
    assert (at_limit.name, at_limit.value_sdr) == ("CN 22", Decimal("300.00"))
    assert (above.name, above.value_sdr) == ("CN 23", Decimal("300.01"))
    # The shipped rate: 1 SDR = 1.17176 EUR on 2025-10-20 (IMF).
    shipped = postal_form_for(Money.of("351.52", "EUR"), date(2026, 11, 26))
    assert (shipped.name, shipped.rate.valid_on, shipped.value_sdr) == (
        "CN 22",
        date(2025, 10, 20),
        Decimal("299.99"),
    )
    assert postal_form_for(Money.of("351.53", "EUR"), date(2026, 11, 26)).name == "CN 23"
    # No SDR rate for the currency: CN 23, which may always stand in for a CN 22.
    unknown = postal_form_for(Money.of("10", "KES"), day)
    assert (unknown.name, unknown.value_sdr) == ("CN 23", None) and "no SDR rate" in unknown.note


def test_label_invoice_and_cn22_of_a_belgian_order(w):
    order = paid_order([(w.coffee, 3)], destination="BE")
    parcel = packed(w, order, weight="2.1")
    papers = papers_for(parcel)
    totals = order.quote["totals"]

    label = _text(label_pdf(parcel), "label-BE")
    assert parcel.code in label and "Marie Peeters" in label and "Belgium" in label
    assert "KGL" in label and "LGG" in label and order.reference in label

    invoice = _text(commercial_invoice_pdf(papers), "invoice-BE")
    assert f"INV-{order.reference}" in invoice and parcel.code in invoice
    assert "090121" in invoice and "HUYE-R500" in invoice
    assert totals["display"]["landed"] in invoice and totals["display"]["goods"] in invoice
    assert order.quote["quote_id"] in invoice and "101234567" in invoice
    assert "IM0560000001" in invoice

    assert papers.postal_form.name == "CN 22"
    cn22 = _text(postal_form_pdf(papers), "cn22-BE")
    assert "CN 22" in cn22 and "090121" in cn22 and totals["customs"]["goods"] in cn22
    assert origin_statement_text(papers) == ""  # no preference used under the EU flat duty


def test_cn23_and_the_origin_statement_above_the_thresholds(w):
    order = paid_order([(w.coffee, 60)], destination="BE")  # 720 000 RWF: above 300 SDR
    parcel = packed(w, order, weight="35.2", dims=(60, 40, 40))
    papers = papers_for(parcel)
    assert papers.postal_form.name == "CN 23" and papers.postal_form.value_sdr > 300
    cn23 = _text(postal_form_pdf(papers), "cn23-BE")
    assert "CN 23" in cn23 and parcel.code in cn23 and "090121" in cn23
    assert order.quote["totals"]["customs"]["goods"] in cn23
    assert f"INV-{order.reference}" in cn23
    statement = origin_statement_text(papers)
    assert "Everything But Arms" in statement and parcel.code in statement
    invoice = _text(commercial_invoice_pdf(papers), "invoice-BE-preference")
    assert "Statement on origin" in invoice
