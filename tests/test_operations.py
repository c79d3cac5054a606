"""Running several servers: readiness and liveness, Prometheus metrics, JSON logs, and the
read replica for the insights pages."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.db import router as db_router
from django.tasks import task
from django.test import Client, override_settings
from django.utils import timezone

from config.dbrouter import ReplicaRouter
from ewtp.accounts.models import User
from ewtp.catalog.models import Product
from ewtp.catalog.tests.factories import make_operator
from ewtp.core import health
from ewtp.core.logs import JsonFormatter
from ewtp.core.replica import reading_replica
from ewtp.ledger.models import Account


@task
def noop() -> None:
    """A task for the queue metrics (never run: the test only counts it)."""


@pytest.mark.django_db
def test_liveness_and_readiness_answer_with_each_check() -> None:
    client = Client()
    live = client.get("/healthz/live")
    assert live.status_code == 200
    assert live.json()["status"] == "ok"
    ready = client.get("/healthz/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert (body["status"], body["database"], body["cache"], body["migrations"]) == (
        "ok",
        "ok",
        "ok",
        "ok",
    )
    assert ready["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_readiness_fails_on_pending_migrations_and_a_broken_cache(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    monkeypatch.setattr(health, "_migrations_applied", False)
    monkeypatch.setattr(health, "pending_migrations", lambda: ["orders.0099_new"])
    answer = client.get("/healthz/ready")
    assert answer.status_code == 503
    assert answer.json()["migrations"] == "pending"
    monkeypatch.setattr(health, "pending_migrations", lambda: [])

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("cache down")

    monkeypatch.setattr(health.cache, "set", broken)
    answer = client.get("/healthz/ready")
    assert answer.status_code == 503
    assert (answer.json()["cache"], answer.json()["migrations"]) == ("unavailable", "ok")
    # Liveness does not depend on either.
    assert client.get("/healthz/live").status_code == 200


@pytest.mark.django_db
def test_the_real_migration_check_finds_nothing_pending() -> None:
    assert health.pending_migrations() == []


def _metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text, 0 when absent."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        metric, _, label_text = head.partition("{")
        if metric != name:
            continue
        found = dict(
            part.split("=", 1) for part in label_text.rstrip("}").split(",") if "=" in part
        )
        if all(found.get(key) == f'"{wanted}"' for key, wanted in labels.items()):
            return float(value)
    return 0.0


@pytest.mark.django_db
def test_metrics_count_requests_and_report_the_queue_and_payments(settings) -> None:  # type: ignore[no-untyped-def]
    from django_tasks_db.models import DBTaskResult

    from ewtp.payments.models import Payment

    client = Client()
    before = _metric(
        client.get("/metrics").content.decode(),
        "ewtp_http_requests_total",
        view="healthz_live",
        method="GET",
        status="200",
    )
    for _ in range(3):
        client.get("/healthz/live")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    noop.enqueue()
    noop.enqueue()
    for amount, status in ((1000, "pending"), (900, "failed")):
        Payment.objects.create(
            provider="sandbox",
            amount_minor=amount,
            currency="RWF",
            status=status,
            created_at=timezone.now(),
            expires_at=timezone.now(),
        )
    text = client.get("/metrics").content.decode()
    after = _metric(
        text, "ewtp_http_requests_total", view="healthz_live", method="GET", status="200"
    )
    assert after - before == 3
    assert _metric(text, "ewtp_task_queue_depth") == 2 == DBTaskResult.objects.count()
    assert _metric(text, "ewtp_task_queue_oldest_age_seconds") >= 0
    assert _metric(text, "ewtp_tasks", status="READY") == 2
    assert _metric(text, "ewtp_payments", state="pending") == 1
    assert _metric(text, "ewtp_payments", state="failed") == 1
    assert _metric(text, "ewtp_payments_by_provider", provider="sandbox", state="failed") == 1


@pytest.mark.django_db
def test_metrics_are_refused_to_strangers_and_given_for_the_token(settings) -> None:  # type: ignore[no-untyped-def]
    assert Client().get("/metrics").status_code == 200  # the server's own address
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 404
    proxied = Client(HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert proxied.get("/metrics").status_code == 404  # came in through the proxy
    settings.EWTP_METRICS_TOKEN = "scrape-secret"
    assert Client().get("/metrics").status_code == 404
    stranger = Client(REMOTE_ADDR="203.0.113.9")
    assert stranger.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    answer = stranger.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert answer.status_code == 200
    assert "ewtp_task_queue_depth" in answer.content.decode()


def test_json_logs_are_one_object_a_line_with_extras_and_the_exception() -> None:
    formatter = JsonFormatter()
    try:
        raise ValueError("bad amount")
    except ValueError:
        record = logging.getLogger("ewtp.test").makeRecord(
            "ewtp.test",
            logging.ERROR,
            __file__,
            1,
            "payment %s failed",
            ("p-1",),
            __import__("sys").exc_info(),
            extra={"payment": "p-1", "status_code": 500},
        )
    line = formatter.format(record)
    assert "\n" not in line.split('"exception"')[0]
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "ewtp.test"
    assert entry["message"] == "payment p-1 failed"
    assert entry["payment"] == "p-1"
    assert entry["status_code"] == 500
    assert "ValueError: bad amount" in entry["exception"]
    assert entry["time"].endswith("+00:00")


def test_the_router_sends_insights_reads_to_the_replica_and_the_rest_to_the_primary(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr("config.dbrouter.replica_configured", lambda: True)
    replica_router = ReplicaRouter()
    assert replica_router.db_for_read(Product) == "default"
    with reading_replica():
        assert replica_router.db_for_read(Product) == "replica"
        assert replica_router.db_for_read(Account) == "replica"
        assert replica_router.db_for_read(User) == "default"  # sessions and log-ins: primary
        assert replica_router.db_for_write(Product) == "default"
    assert replica_router.allow_migrate("replica", "catalog") is False
    assert replica_router.allow_migrate("default", "catalog") is True


class _RecordingRouter(ReplicaRouter):
    """Notes where each read would go, then reads the test database (there is one server)."""

    seen: list[tuple[str, str]] = []

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        alias = super().db_for_read(model, **hints)
        self.seen.append((model._meta.label, str(alias)))
        return "default"


@pytest.mark.django_db
def test_an_insights_page_reads_from_the_replica_and_other_pages_do_not(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("config.dbrouter.replica_configured", lambda: True)
    client = Client()
    client.force_login(make_operator())
    with override_settings(DATABASE_ROUTERS=[_RecordingRouter()]):
        assert db_router.routers[0].__class__ is _RecordingRouter
        _RecordingRouter.seen.clear()
        assert client.get("/ledger/").status_code == 200
        insights = list(_RecordingRouter.seen)
        _RecordingRouter.seen.clear()
        assert client.get("/shop/").status_code == 200
        other = list(_RecordingRouter.seen)
    assert ("ledger.Account", "replica") in insights
    assert all(alias == "default" for label, alias in insights if label.startswith("accounts."))
    assert other and all(alias == "default" for _label, alias in other)
