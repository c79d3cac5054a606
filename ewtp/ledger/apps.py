from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ewtp.ledger"
    label = "ledger"
    verbose_name = "Ledger"
