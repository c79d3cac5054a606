from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ewtp.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from ewtp.core import checks  # noqa: F401 - registers the deployment checks
