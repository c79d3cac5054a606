from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "ewtp.orders"
    label = "orders"
    verbose_name = "Orders"
