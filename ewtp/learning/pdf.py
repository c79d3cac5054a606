"""The certificate as a printable PDF (WeasyPrint) with a QR code (segno) to its public page."""

from __future__ import annotations

import logging

import segno
from django.utils import translation

from ewtp.core.pdf import pdf_from_template
from ewtp.learning import codes
from ewtp.learning.models import Certificate

# WeasyPrint logs every rendering step at INFO; a certificate is not news.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def qr_svg_data_uri(url: str, *, scale: int = 4) -> str:
    return str(segno.make(url, error="m").svg_data_uri(scale=scale, border=2, omitsize=True))


def qr_svg(url: str, *, scale: int = 4) -> str:
    """An inline SVG (no XML declaration) for an HTML page."""
    return str(segno.make(url, error="m").svg_inline(scale=scale, border=2, omitsize=True))


def certificate_pdf(
    certificate: Certificate, verification_url: str, *, language: str = "en"
) -> bytes:
    with translation.override(language):
        return pdf_from_template(
            "learning/certificate_pdf.html",
            {
                "certificate": certificate,
                "code_display": codes.display(certificate.code),
                "verification_url": verification_url,
                "qr": qr_svg_data_uri(verification_url, scale=5),
            },
        )
