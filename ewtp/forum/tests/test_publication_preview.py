"""The preview a second steward sees before approving a publication: the products whose
one-unit landed price the working copy moves, into the destinations its changed rows touch."""

from __future__ import annotations

from ewtp.forum.selectors.effects import content_destinations, publication_effects
from ewtp.traderules.models import RuleVersion, Tax
from ewtp.traderules.services.edits import tax_save, working_copy_content
from ewtp.traderules.services.validation import _data_from_content


def test_the_preview_lists_the_products_a_belgian_vat_change_moves(three_sellers, steward) -> None:  # type: ignore[no-untyped-def]
    coffee, tea, _basket = three_sellers
    current = RuleVersion.objects.order_by("-id").first()
    assert current is not None
    tax = Tax.objects.get(country="BE", kind="vat", hs_prefix="09")
    tax.rate = "0.12"
    tax_save(actor=steward, tax=tax)
    content = _data_from_content(working_copy_content()).content()
    assert content_destinations(current.content, content) == frozenset({"BE"})
    effects = publication_effects(current.label, content)
    assert sorted((row["product"], row["destination"]) for row in effects) == sorted(
        [(coffee.title, "BE"), (tea.title, "BE")]
    )
    for row in effects:
        assert row["currency"] == "EUR"
        assert float(row["after"]) > float(row["before"])
    assert publication_effects(current.label, current.content) == []
