from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "ewtp.insights"
    label = "insights"
    verbose_name = "Trade insights"

    def ready(self) -> None:
        from ewtp.core.navigation import EVERYONE, NavEntry, register

        register(NavEntry(_("Trade insights"), "insights:public", EVERYONE, 80))
        register(NavEntry(_("Insights"), "insights:dashboard", "platform_operator", 81))
        register(NavEntry(_("Customs insights"), "insights:authority", "customs_authority", 37))
