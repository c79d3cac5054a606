from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "ewtp.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from ewtp.core import checks  # noqa: F401 - registers the deployment checks
        from ewtp.core.locks import set_lock_timeout
        from ewtp.core.prepared import parsed_statements_cached

        parsed_statements_cached()

        connection_created.connect(set_lock_timeout, dispatch_uid="ewtp-lock-timeout")
