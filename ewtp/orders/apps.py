from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "ewtp.orders"
    label = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from ewtp.core.navigation import PLATFORM_OPERATOR, NavEntry, register

        register(NavEntry(_("Cart"), "orders:cart", order=13))
        register(NavEntry(_("Sales"), "orders:seller_index", "seller", 30))
        register(NavEntry(_("All orders"), "orders:operator_orders", PLATFORM_OPERATOR, 92))
