from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CustomsConfig(AppConfig):
    name = "ewtp.customs"
    label = "customs"
    verbose_name = "Customs"

    def ready(self) -> None:
        from ewtp.core.navigation import NavEntry, register
        from ewtp.customs.services import reference_data_on_migrate

        register(NavEntry(_("Customs"), "customs:queue", "customs_authority", 36))
        # Seeding, as traderules does: a fresh or flushed database gets the SDR rates and
        # the restricted-goods list back.
        post_migrate.connect(
            reference_data_on_migrate, sender=self, dispatch_uid="customs.reference_data"
        )
