from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "ewtp.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from django.core import checks
        from django.utils.translation import gettext_lazy as _

        from ewtp.core import periodic
        from ewtp.core.navigation import PLATFORM_OPERATOR, NavEntry, register
        from ewtp.payments import checks as payment_checks
        from ewtp.payments import payouts, reconcile, retry, sandbox, services

        checks.register(payment_checks.providers_named, "payments")
        register(
            NavEntry(
                label=_("Money desk"),
                url_name="payments:operator",
                kind=PLATFORM_OPERATOR,
                order=85,
            )
        )
        register(
            NavEntry(
                label=_("Payouts"),
                url_name="payments:payouts",
                kind=PLATFORM_OPERATOR,
                order=86,
            )
        )
        retry.task_register("payments.refresh", services.payment_refresh_task)
        retry.task_register("payments.refund", services.refund_complete)
        retry.task_register("payments.payout_send", payouts.payout_send)
        retry.task_register("payments.payout_refresh", payouts.payout_refresh)
        retry.task_register("payments.payout_batch", payouts.payout_batch)
        retry.task_register("payments.reconcile", reconcile.reconcile_day_task)
        periodic.register("payments.expire", services.payments_expire, every_seconds=30)
        periodic.register("payments.poll", services.payments_poll_pending, every_seconds=15)
        periodic.register(
            "payments.sandbox_webhooks", sandbox.webhooks_redeliver_due, every_seconds=10
        )
        periodic.register("payments.money_tasks", retry.money_tasks_run_due, every_seconds=15)
        periodic.register("payments.payouts_poll", payouts.payouts_poll_pending, every_seconds=60)
        periodic.register(
            "payments.payouts_schedule", payouts.payouts_scheduled, every_seconds=3600
        )
        periodic.register("payments.reconcile", reconcile.reconcile_scheduled, every_seconds=3600)
        from ewtp.ledger.services import register_outside_check

        register_outside_check(reconcile.provider_records_compare)
