from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "ewtp.catalog"
    label = "catalog"
    verbose_name = "Catalog"
