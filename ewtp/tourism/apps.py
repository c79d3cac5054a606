from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TourismConfig(AppConfig):
    name = "ewtp.tourism"
    label = "tourism"
    verbose_name = "Tourism"

    def ready(self) -> None:
        from ewtp.core import periodic
        from ewtp.core.navigation import EVERYONE, NavEntry, register
        from ewtp.payments.registry import register_subject
        from ewtp.tourism.services import changes, common, holds, payments

        periodic.register("tourism.expire_holds", holds.holds_expire, every_seconds=30)
        periodic.register("tourism.retry_refunds", changes.refunds_retry, every_seconds=300)
        register_subject(
            common.SUBJECT_TYPE,
            on_succeeded=payments.on_payment_succeeded,
            on_failed=payments.on_payment_failed,
        )
        register(
            NavEntry(
                label=_("Visit Rwanda"), url_name="tourism:experiences", kind=EVERYONE, order=30
            )
        )
        register(
            NavEntry(
                label=_("Tour dashboard"),
                url_name="tourism:dashboard",
                kind="tour_operator",
                order=60,
            )
        )
        register(
            NavEntry(
                label=_("Gate check-in"), url_name="tourism:gate", kind="tour_operator", order=61
            )
        )
