"""The interface speaks the platform's five languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.test import Client

from ewtp.web.tests.messages import LOCALE

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "heading", "login"),
    [
        ("rw", "Curuza hanze y'imipaka, urebe ikiguzi cyose mbere yo kwishyura", "Injira"),
        ("fr", "Vendez par-delà les frontières, voyez chaque coût avant de payer", "Se connecter"),
        ("sw", "Uza kuvuka mipaka, ona kila gharama kabla ya kulipa", "Ingia"),
        ("zh-hans", "跨境销售，付款前看清每一笔费用", "登录"),  # noqa: RUF001
    ],
)
def test_the_home_page_renders_in_each_language(
    client: Client, language: str, heading: str, login: str
) -> None:
    client.cookies["ewtp_language"] = language
    response = client.get("/")
    html = response.content.decode()
    assert response["Content-Language"] == language
    assert f'<html lang="{language}">' in html
    assert heading in html
    assert f'data-testid="login">{login}</a>' in html


def test_a_kinyarwanda_page_uses_kinyarwanda_forms_and_errors(client: Client) -> None:
    client.cookies["ewtp_language"] = "rw"
    response = client.post("/accounts/signup/", {"email": "", "password": ""})
    html = response.content.decode()
    assert "Fungura konti yawe" in html  # Create your account
    assert "Iki gice kigomba kuzuzwa." in html  # This field is required.
    assert "Aderesi ya imeyili" in html  # Email address


@pytest.mark.parametrize("language", ["fr", "rw", "sw", "zh_Hans"])
def test_every_message_is_translated_and_marked_for_review(language: str) -> None:
    path: Path = LOCALE / language / "LC_MESSAGES" / "django.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    messages = [message for message in catalog if message.id]
    assert len(messages) > 150
    for message in messages:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), message.id
        assert not message.fuzzy, message.id
        assert "machine translation, needs review" in message.auto_comments, message.id
