from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "ewtp.logistics"
    label = "logistics"
    verbose_name = "Logistics"

    def ready(self) -> None:
        from ewtp.core.navigation import NavEntry, register

        register(NavEntry(_("Hub"), "logistics:hub_dashboard", "hub_operator", 34))

        from ewtp.logistics import network

        network.connect()

        from ewtp.core import clock, warmup

        warmup.register("logistics.network", lambda: network.network_on(clock.today()))
