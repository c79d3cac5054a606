from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "ewtp.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from ewtp.core import periodic
        from ewtp.payments import sandbox, services

        periodic.register("payments.expire", services.payments_expire, every_seconds=30)
        periodic.register("payments.poll", services.payments_poll_pending, every_seconds=5)
        periodic.register(
            "payments.sandbox_webhooks", sandbox.webhooks_redeliver_due, every_seconds=10
        )
