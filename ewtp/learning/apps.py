from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "ewtp.learning"
    label = "learning"
    verbose_name = "Learning"
