from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "ewtp.learning"
    label = "learning"
    verbose_name = "Learning"

    def ready(self) -> None:
        from ewtp.core.navigation import LOGGED_IN, NavEntry, register

        register(NavEntry(_("Learn"), "learning:home", order=16))
        register(NavEntry(_("My learning"), "learning:dashboard", LOGGED_IN, order=60))
        register(
            NavEntry(_("Training"), "learning:provider_dashboard", "training_provider", order=38)
        )
