from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "ewtp.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        from ewtp.core.navigation import LOGGED_IN, PLATFORM_OPERATOR, NavEntry, register

        # The foundation's entries, and the areas the domain apps are expected to build (an
        # entry whose URL name does not resolve yet is skipped). An app registers its own in
        # its ready(); the same URL name replaces the entry here.
        for entry in (
            NavEntry(_("Trade rules"), "traderules:home", order=10),
            NavEntry(_("Shop"), "catalog:home", order=12),
            NavEntry(_("Experiences"), "tourism:home", order=14),
            NavEntry(_("Learn"), "learning:home", order=16),
            NavEntry(_("Seller dashboard"), "catalog:seller_dashboard", "seller", 30),
            NavEntry(_("Tours"), "tourism:operator_dashboard", "tour_operator", 32),
            NavEntry(_("Hub"), "logistics:hub_dashboard", "hub_operator", 34),
            NavEntry(_("Customs"), "customs:queue", "customs_authority", 36),
            NavEntry(_("Training"), "learning:provider_dashboard", "training_provider", 38),
            NavEntry(_("Rule stewardship"), "traderules:steward", "rule_steward", 40),
            NavEntry(_("Organisations"), "accounts:organisations", LOGGED_IN, 80),
            NavEntry(_("Operator"), "web:operator_overview", PLATFORM_OPERATOR, 90),
        ):
            register(entry)
