"""The platform's own metrics for /metrics: the task queue (depth and age) and money (payments,
refunds and payouts by state), read from the database at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from django.apps import apps
from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ewtp.core.metrics import register_collector

_DATE_MAX_YEAR = 9999  # django_tasks_db's "run as soon as possible"


class TaskQueueCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        task_model = apps.get_model("django_tasks_database", "DBTaskResult")
        by_status = GaugeMetricFamily(
            "ewtp_tasks", "Background tasks in the queue table, by status.", labels=["status"]
        )
        for row in task_model.objects.values("status").annotate(n=Count("id")).order_by():
            by_status.add_metric([row["status"]], row["n"])
        yield by_status
        now = timezone.now()
        due = task_model.objects.filter(status="READY").filter(
            Q(run_after__lte=now) | Q(run_after__year=_DATE_MAX_YEAR)
        )
        summary = due.aggregate(depth=Count("id"), oldest=Min("enqueued_at"))
        yield GaugeMetricFamily(
            "ewtp_task_queue_depth",
            "Tasks due and waiting for a worker.",
            value=summary["depth"],
        )
        oldest = summary["oldest"]
        yield GaugeMetricFamily(
            "ewtp_task_queue_oldest_age_seconds",
            "Age of the oldest task waiting for a worker (0 when none waits).",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )


class MoneyCollector(Collector):
    """Payments, refunds and payouts by provider and state."""

    MODELS = (("payment", "Payment"), ("refund", "Refund"), ("payout", "Payout"))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, model_name in self.MODELS:
            model = apps.get_model("payments", model_name)
            family = GaugeMetricFamily(
                f"ewtp_{name}s", f"{model_name}s in the database, by state.", labels=["state"]
            )
            for row in model.objects.values("status").annotate(n=Count("id")).order_by():
                family.add_metric([row["status"]], row["n"])
            yield family
        payment = apps.get_model("payments", "Payment")
        by_provider = GaugeMetricFamily(
            "ewtp_payments_by_provider",
            "Payments by provider and state.",
            labels=["provider", "state"],
        )
        rows = payment.objects.values("provider", "status").annotate(n=Count("id")).order_by()
        for row in rows:
            by_provider.add_metric([row["provider"], row["status"]], row["n"])
        yield by_provider


_installed = False


def install() -> None:
    global _installed
    if not _installed:
        register_collector(TaskQueueCollector())
        register_collector(MoneyCollector())
        _installed = True
