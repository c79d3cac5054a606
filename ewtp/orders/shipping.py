"""Carriage of a seller's consignment, priced from the hub network for checkout and the cart.

One parcel per seller leaves the seller's hub. Its weight at checkout is the sum of the unit
weights of what is in it (the seller measures the real parcel when packing; the buyer pays
the price fixed here). The price is the cheapest lane's (or the hub's local delivery's) rate
card valid today, and goes into the landed-cost request as ``shipping``, so that duties and
taxes on a CIF basis count it as the rules say.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ewtp.catalog import landed_prices
from ewtp.catalog.models import DEFAULT_HUB, Variant
from ewtp.core import conf
from ewtp.core.countries import country_name
from ewtp.core.errors import DomainError, NotFound
from ewtp.logistics import rating
from ewtp.logistics import selectors as logistics

MIN_WEIGHT_KG = Decimal("0.1")  # a parcel weighs something even if a product says 0
MAX_WEIGHT_KG = rating.MAX_WEIGHT_KG  # what one parcel may weigh on the lanes' rate cards


class NoDelivery(DomainError):
    code = "no_route"
    http_status = 422


def consignment_weight_kg(lines: Sequence[tuple[Variant, int]]) -> Decimal:
    """The goods' weight in kg (unit weight x quantity), at least 0.1 kg."""
    total = sum(
        (Decimal(variant.weight_kg or 0) * quantity for variant, quantity in lines), Decimal(0)
    )
    return max(total, MIN_WEIGHT_KG)


def carriage_for(
    lines: Sequence[tuple[Variant, int]], *, destination: str, hub_code: str = DEFAULT_HUB
) -> logistics.LaneQuote:
    """The cheapest way to carry these lines from ``hub_code`` to ``destination``.

    Raises NoDelivery (422 ``no_route``, the destination named) when no hub or priced lane
    serves the destination.
    """
    weight = consignment_weight_kg(lines)
    if weight > MAX_WEIGHT_KG:
        raise DomainError(
            "too_heavy",
            _("One parcel carries at most %(max)s kg; this one would weigh %(weight)s kg.")
            % {"max": MAX_WEIGHT_KG, "weight": weight},
            fields={"lines": f"at most {MAX_WEIGHT_KG} kg per seller"},
        )
    try:
        return logistics.lane_options(hub_code, destination, weight)[0]
    except (logistics.NoRoute, NotFound):  # no hub or no priced lane, or no origin hub
        raise NoDelivery(
            message=_("The platform does not deliver to %(country)s yet.")
            % {"country": country_name(destination, get_language() or "en")},
            fields={"destination": "no delivery to this country yet"},
            extra={"destination": destination},
        ) from None


def consignment_request(
    lines: Sequence[tuple[Variant, int]],
    *,
    destination: str,
    currency: str,
    incoterm: str = "DDP",
    hub_code: str = DEFAULT_HUB,
) -> tuple[dict[str, Any], logistics.LaneQuote]:
    """The landed-cost request for one seller's consignment, carriage included."""
    carriage = carriage_for(lines, destination=destination, hub_code=hub_code)
    request = landed_prices.quote_request(
        lines, destination=destination, currency=currency, incoterm=incoterm, hub_code=hub_code
    )
    request["shipping"] = carriage.price.as_dict()
    # The platform sells as the IOSS registrant when it has a number (EU low-value sales).
    request["seller_ioss"] = bool(conf.IOSS_NUMBER())
    return request, carriage
