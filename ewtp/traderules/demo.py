"""Demo data of trade rules: the shipped reference rules, HS nomenclature and rates."""

from __future__ import annotations

from typing import TextIO


def load(stdout: TextIO) -> None:
    from ewtp.traderules.services.reference_data import reference_data_ensure

    reference_data_ensure()
    stdout.write("trade rules: reference data in place\n")
    # The shipped rates stay as they are: quotes on them say how old they are (stale_fx_rate).
    # `make run` carries them forward for the demo shop (`ewtp fx carry-forward`).


def demo_rates_carry_forward() -> int:
    """A demo shop sells only on rates younger than EWTP_FX_MAX_AGE_DAYS; the shipped rates are
    older. Each stale currency's newest rate is entered again for today, as the operator would,
    with a source that says what it is (a real platform fetches the ECB's and enters its own)."""
    from ewtp.accounts.models import Organisation, User
    from ewtp.core import clock
    from ewtp.traderules.models import ExchangeRate
    from ewtp.traderules.selectors.published import stale_currencies
    from ewtp.traderules.services.fx import fx_rate_enter

    operator = User.objects.filter(
        memberships__organisation__kind=Organisation.Kind.PLATFORM_OPERATOR
    ).first()
    if operator is None:
        return 0
    carried = 0
    for item in stale_currencies():
        newest = ExchangeRate.objects.filter(currency=item["currency"]).order_by("-date").first()
        if newest is None:
            continue
        fx_rate_enter(
            operator,
            clock.today(),
            newest.currency,
            newest.rate_text,
            f"Demo data: the {newest.date.isoformat()} rate carried forward, not a market rate",
        )
        carried += 1
    return carried
