"""Capacity is never exceeded when managers accept applications at the same moment."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from ewtp.core.errors import DomainError
from ewtp.learning.models import Application, Cohort, Enrolment
from ewtp.learning.services.applications import application_decide
from ewtp.learning.tests import factories as f


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_acceptances_never_exceed_the_cohort_capacity() -> None:
    managers = [f.user(f"manager{n}@example.org") for n in range(2)]
    provider = f.provider(*managers)
    programme = f.selective_programme(provider)
    f.course(programme, quiz=False, lessons=1)
    cohort = f.cohort(programme, capacity=3)
    applications = [f.application(cohort, f.user()) for _ in range(8)]

    barrier = threading.Barrier(len(applications))
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(index: int) -> None:
        try:
            barrier.wait()
            application_decide(
                actor=managers[index % 2], application=applications[index], decision="accepted"
            )
            result = "accepted"
        except DomainError as error:
            result = error.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(len(applications))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["accepted"] * 3 + ["cohort_full"] * 5
    cohort.refresh_from_db()
    assert cohort.seats_taken == 3
    assert Application.objects.filter(status="accepted").count() == 3
    assert Enrolment.objects.filter(cohort=cohort).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_accepting_the_same_application_take_one_seat() -> None:
    managers = [f.user(f"boss{n}@example.org") for n in range(2)]
    provider = f.provider(*managers)
    programme = f.selective_programme(provider)
    cohort = f.cohort(programme, capacity=5)
    application = f.application(cohort, f.user())
    barrier = threading.Barrier(2)

    def decide(index: int) -> None:
        try:
            barrier.wait()
            application_decide(actor=managers[index], application=application, decision="accepted")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Cohort.objects.get(pk=cohort.pk).seats_taken == 1
