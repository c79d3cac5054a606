from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "ewtp.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from ewtp.core.navigation import NavEntry, register

        register(NavEntry(_("Shop"), "catalog:home", order=12))
        register(NavEntry(_("Seller dashboard"), "catalog:seller_dashboard", "seller", 30))
