from django.apps import AppConfig


class LogisticsConfig(AppConfig):
    name = "ewtp.logistics"
    label = "logistics"
    verbose_name = "Logistics"
