from django.apps import AppConfig


class TourismConfig(AppConfig):
    name = "ewtp.tourism"
    label = "tourism"
    verbose_name = "Tourism"
