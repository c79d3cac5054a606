"""A proposal's title and rationale are given in several languages at entry and shown in the
visitor's language, the original where no translation is."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from ewtp.forum.models import Proposal
from ewtp.traderules.models import Tax
from ewtp.traderules.services.edits import tax_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def edited(steward, reference_data):  # type: ignore[no-untyped-def]
    # The steward's working copy: zero-rated coffee in Rwanda from 2027.
    tax = Tax(
        country="RW",
        kind="vat",
        hs_prefix="0901",
        rate="0",
        valid_from=date(2027, 1, 1),
        source="S37",
    )
    tax_save(actor=steward, tax=tax)
    return steward


def _page(client, name: str, language: str, *args: str) -> str:  # type: ignore[no-untyped-def]
    client.cookies["ewtp_language"] = language
    return client.get(reverse(name, args=args)).content.decode()


def test_title_and_rationale_in_several_languages_shown_in_the_visitors(client, edited):
    client.force_login(edited)
    form = _page(client, "forum:list", "en")
    assert 'name="title_fr"' in form and 'name="rationale_zh-hans"' in form
    assert 'name="title_en"' not in form  # the original is the page's language
    answer = client.post(
        reverse("forum:draft"),
        {
            "title": "Zero VAT on coffee",
            "effective_on": "2027-01-01",
            "kind": "platform_policy",
            "rationale": "Coffee is a staple.",
            "title_fr": "TVA zéro sur le café",
            "rationale_fr": "Le café est un produit de base.",
            "title_sw": "  ",  # blank: left out, the original shows
            "title_zh-hans": "咖啡零增值税",
        },
    )
    proposal = Proposal.objects.get()
    assert answer.status_code == 302 and answer["Location"].endswith(f"/{proposal.code}/")
    assert proposal.title == {
        "en": "Zero VAT on coffee",
        "fr": "TVA zéro sur le café",
        "zh": "咖啡零增值税",
    }
    assert proposal.rationale == {
        "en": "Coffee is a staple.",
        "fr": "Le café est un produit de base.",
    }
    client.logout()
    french = _page(client, "forum:detail", "fr", proposal.code)
    assert "TVA zéro sur le café" in french and "Le café est un produit de base." in french
    assert "Zero VAT on coffee" not in french
    chinese = _page(client, "forum:detail", "zh-hans", proposal.code)
    assert "咖啡零增值税" in chinese and "Coffee is a staple." in chinese  # no Chinese rationale
    swahili = _page(client, "forum:detail", "sw", proposal.code)
    assert "Zero VAT on coffee" in swahili and "Coffee is a staple." in swahili
    assert "TVA zéro sur le café" in _page(client, "forum:list", "fr")
    assert "TVA zéro sur le café" in _page(client, "forum:feed", "fr")


def test_a_translation_in_an_unknown_language_is_refused_and_nothing_written(edited):
    from ewtp.core.errors import InvalidRequest
    from ewtp.forum.services.proposals import proposal_from_working_copy

    with pytest.raises(InvalidRequest) as caught:
        proposal_from_working_copy(
            actor=edited,
            title="Zero VAT on coffee",
            effective_on=date(2027, 1, 1),
            kind="platform_policy",
            translations={"title": {"de": "Keine Mehrwertsteuer"}},
        )
    assert caught.value.fields == {"title_de": "one of en, fr, rw, sw, zh"}
    assert not Proposal.objects.exists()
