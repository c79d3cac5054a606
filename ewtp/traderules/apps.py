from django.apps import AppConfig


class TraderulesConfig(AppConfig):
    name = "ewtp.traderules"
    label = "traderules"
    verbose_name = "Trade rules"
