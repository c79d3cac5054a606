from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ewtp.accounts"
    label = "accounts"
    verbose_name = "Accounts"
