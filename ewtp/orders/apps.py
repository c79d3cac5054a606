from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "ewtp.orders"
    label = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from ewtp.core import periodic
        from ewtp.orders.services import money
        from ewtp.orders.services.holds import holds_expire
        from ewtp.payments.registry import register_subject

        register_subject(
            money.SUBJECT_TYPE,
            on_succeeded=money.on_payment_succeeded,
            on_failed=money.on_payment_failed,
            returns_postings=True,  # the escrows, recorded with the payment's capture
        )
        periodic.register("orders.expire_holds", holds_expire, every_seconds=30)
        from ewtp.orders.services.mails import checkout_mail_send, order_mail_send
        from ewtp.payments.retry import task_register

        task_register("orders.checkout_mail", checkout_mail_send)  # mails that matter
        task_register("orders.order_mail", order_mail_send)
        periodic.register("orders.auto_complete", money.orders_auto_complete, every_seconds=300)
        from ewtp.core.navigation import LOGGED_IN, PLATFORM_OPERATOR, NavEntry, register

        register(NavEntry(_("Cart"), "orders:cart", order=13))
        register(NavEntry(_("My orders"), "orders:my_orders", LOGGED_IN, 58))
        register(NavEntry(_("Orders"), "orders:seller_index", "seller", 30))
        register(NavEntry(_("All orders"), "orders:operator_orders", PLATFORM_OPERATOR, 92))
