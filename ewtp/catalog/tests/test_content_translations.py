"""Product texts per language: the seller fills, edits and clears them on the product form;
visitors read the product in their language, or in the original where it is not translated."""

from __future__ import annotations

from typing import Any

import pytest

from ewtp.catalog.models import ProductTranslation
from ewtp.catalog.services.products import ProductData, product_update
from ewtp.catalog.tests.factories import make_member, make_product, make_seller
from ewtp.core.errors import DomainError
from ewtp.core.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def honey(reference_data):  # type: ignore[no-untyped-def]
    huye = make_seller("huye-coffee", name="Huye Mountain Coffee")
    product = make_product(
        huye,
        "Huye mountain honey",
        hs_code="0409.00",
        description="Raw honey from the Huye hills.",
        translations={"fr": "Miel des montagnes de Huye"},
    )
    return huye, product


def _edit_form(product: Any, **overrides: str) -> dict[str, str]:
    values = {
        "title": product.title,
        "description": product.description,
        "hs_code": "0409.00",
        "origin": "RW",
        "unit_weight_kg": "0.5",
        "price": "12000",
        "currency": "RWF",
        "language": "en",
        "title_fr": "Miel des montagnes de Huye",
    }
    values.update(overrides)
    return values


def test_a_french_visitor_reads_the_french_name_and_others_the_original(client, honey):
    _huye, product = honey
    for url in ["/shop/", f"/shop/p/{product.slug}/", "/shop/search/?q=honey"]:
        client.cookies["ewtp_language"] = "fr"
        french = client.get(url)
        assert french.status_code == 200, url
        assert "Miel des montagnes de Huye" in french.text, url
        assert "Huye mountain honey" not in french.text, url
        for language in ("en", "sw"):
            client.cookies["ewtp_language"] = language
            other = client.get(url)
            assert "Huye mountain honey" in other.text, (url, language)
            assert "Miel des montagnes de Huye" not in other.text, (url, language)


def test_the_product_form_shows_one_section_per_language(client, honey):
    huye, product = honey
    client.force_login(make_member(huye, "owner@huye.rw"))
    page = client.get(f"/shop/sell/huye-coffee/p/{product.slug}/")
    assert page.status_code == 200
    for code in ("en", "fr", "rw", "sw", "zh-hans"):
        assert f'<details class="translation" data-language="{code}"' in page.text
    # The filled language is open, with its saved name; the others are closed.
    assert '<details class="translation" data-language="fr" open>' in page.text
    assert '<details class="translation" data-language="sw">' in page.text
    assert 'value="Miel des montagnes de Huye"' in page.text


def test_the_seller_adds_changes_and_clears_translations_audited(client, honey):
    huye, product = honey
    client.force_login(make_member(huye, "owner@huye.rw"))
    url = f"/shop/sell/huye-coffee/p/{product.slug}/"
    response = client.post(
        url,
        _edit_form(
            product,
            title_fr="Miel de Huye",
            description_fr="Miel cru des collines de Huye.",
            title_sw="Asali ya Huye",
        ),
    )
    assert response.status_code == 302
    saved = {t.language: (t.title, t.description) for t in product.translations.all()}
    assert saved == {
        "fr": ("Miel de Huye", "Miel cru des collines de Huye."),
        "sw": ("Asali ya Huye", ""),
    }
    entry = AuditLog.objects.filter(action="catalog.product.translations_changed").get()
    assert entry.data == {"set": ["fr", "sw"], "cleared": []}

    # Emptying the French fields clears that translation; Swahili stays.
    response = client.post(url, _edit_form(product, title_fr="", title_sw="Asali ya Huye"))
    assert response.status_code == 302
    assert list(product.translations.values_list("language", "title")) == [("sw", "Asali ya Huye")]
    last = AuditLog.objects.filter(action="catalog.product.translations_changed").latest("pk")
    assert last.data == {"set": [], "cleared": ["fr"]}
    client.cookies["ewtp_language"] = "fr"
    assert "Huye mountain honey" in client.get(f"/shop/p/{product.slug}/").text


def test_a_description_without_a_title_is_refused_and_nothing_changes(client, honey):
    huye, product = honey
    client.force_login(make_member(huye, "owner@huye.rw"))
    response = client.post(
        f"/shop/sell/huye-coffee/p/{product.slug}/",
        _edit_form(product, title_fr="", description_fr="Miel cru.", title="Honey, renamed"),
    )
    assert response.status_code == 200
    assert "A translation needs its title too." in response.text
    assert '<details class="translation" data-language="fr" open>' in response.text
    product.refresh_from_db()
    assert product.title == "Huye mountain honey"
    assert list(product.translations.values_list("language", "title")) == [
        ("fr", "Miel des montagnes de Huye")
    ]


def test_an_unknown_language_is_refused_and_nothing_changes(honey):
    huye, product = honey
    owner = make_member(huye, "owner@huye.rw")
    data = ProductData(
        title="Huye mountain honey",
        hs_code="0409.00",
        origin="RW",
        unit_weight_kg="0.5",
        price="12000",
        currency="RWF",
        translations={"de": {"title": "Honig aus Huye"}, "fr": {"title": "Miel"}},
    )
    with pytest.raises(DomainError) as caught:
        product_update(actor=owner, product=product, data=data)
    assert caught.value.fields == {"title_de": "Unknown language: de."}
    assert list(ProductTranslation.objects.values_list("language", "title")) == [
        ("fr", "Miel des montagnes de Huye")
    ]
    assert not AuditLog.objects.filter(action="catalog.product.translations_changed").exists()


def test_a_too_long_translated_title_is_refused(client, honey):
    huye, product = honey
    client.force_login(make_member(huye, "owner@huye.rw"))
    response = client.post(
        f"/shop/sell/huye-coffee/p/{product.slug}/", _edit_form(product, title_fr="M" * 201)
    )
    assert response.status_code == 200
    assert product.translations.get().title == "Miel des montagnes de Huye"


def test_the_import_treatment_is_explained_in_the_visitors_language(client, honey):
    _huye, product = honey
    client.cookies["ewtp_destination"] = "BE"
    client.cookies["ewtp_currency"] = "EUR"
    english = client.get(f"/shop/p/{product.slug}/")
    assert (
        "An EU low-value sale (goods up to EUR 150) by a seller registered for IOSS: a flat "
        "customs duty of EUR 3 per tariff subheading; the VAT is charged at checkout."
    ) in english.text
    assert "Some of the rates in this price are not yet verified." in english.text
    client.cookies["ewtp_language"] = "fr"
    french = client.get(f"/shop/p/{product.slug}/")
    apostrophe = "\u2019"  # the French texts use the typographic apostrophe
    assert (
        f"Une vente de faible valeur vers l{apostrophe}UE (marchandises jusqu{apostrophe}à "
        f"150 EUR) par un vendeur inscrit à l{apostrophe}IOSS : un droit de douane forfaitaire "
        "de 3 EUR par sous-position tarifaire"
    ) in french.text
    assert "Certains des taux de ce prix ne sont pas encore vérifiés." in french.text
    assert "EU interim flat customs duty" not in french.text
    assert "not verified at high confidence" not in french.text
