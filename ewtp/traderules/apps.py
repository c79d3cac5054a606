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

        # Seeding, not a business reaction: `ewtp migrate` on an empty database then gives a
        # working quote engine (and a flushed test database gets its reference data back).
        post_migrate.connect(
            reference_data_on_migrate, sender=self, dispatch_uid="traderules.reference_data"
        )
