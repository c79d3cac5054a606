"""Trade rules: HS nomenclature, rule tables and versions, exchange rates, the quote engine."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TraderulesConfig(AppConfig):
    name = "ewtp.traderules"
    label = "traderules"
    verbose_name = "Trade rules"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from ewtp.core.navigation import PLATFORM_OPERATOR, NavEntry, register
        from ewtp.traderules.services.reference_data import reference_data_on_migrate

        register(NavEntry(_("Rule stewardship"), "traderules:steward", "rule_steward", 40))
        register(NavEntry(_("Exchange rates"), "traderules:fx_enter", PLATFORM_OPERATOR, 91))

        from ewtp.core import periodic
        from ewtp.traderules.services.fx_fetch import fx_fetch_daily

        periodic.register("traderules.fx_fetch", fx_fetch_daily, every_seconds=24 * 3600)

        from ewtp.core import warmup
        from ewtp.traderules.selectors.snapshot import current_rules

        # The quote snapshot: seconds to build, once per server process before its first quote.
        warmup.register("traderules.snapshot", current_rules)

        # Seeding, not a business reaction: `ewtp migrate` on an empty database then gives a
        # working quote engine (and a flushed test database gets its reference data back).
        post_migrate.connect(
            reference_data_on_migrate, sender=self, dispatch_uid="traderules.reference_data"
        )
