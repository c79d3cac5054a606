from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "ewtp.payments"
    label = "payments"
    verbose_name = "Payments"
