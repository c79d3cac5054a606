"""Capacity is never exceeded when managers accept applications at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from ewtp.core.errors import DomainError
from ewtp.learning.models import Application, Cohort, Enrolment
from ewtp.learning.services.applications import application_decide
from ewtp.learning.tests import factories as f


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..count-1) in threads released at once; each thread's result, or the domain
    error's code. Any other exception raised in a thread fails the test (with its traceback):
    a thread's error is never lost."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except DomainError as error:
            results[index] = error.code
        except BaseException as error:  # reported to the test below
            with lock:
                failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    if failures:
        raise AssertionError(f"{len(failures)} thread(s) failed") from failures[0]
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_acceptances_never_exceed_the_cohort_capacity() -> None:
    managers = [f.user(f"manager{n}@example.org") for n in range(2)]
    provider = f.provider(*managers)
    programme = f.selective_programme(provider)
    f.course(programme, quiz=False, lessons=1)
    cohort = f.cohort(programme, capacity=3)
    applications = [f.application(cohort, f.user()) for _ in range(8)]

    def decide(index: int) -> str:
        application_decide(
            actor=managers[index % 2], application=applications[index], decision="accepted"
        )
        return "accepted"

    outcomes = run_together(len(applications), decide)

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

    def decide(index: int) -> str:
        decided = application_decide(
            actor=managers[index], application=application, decision="accepted"
        )
        return str(decided.status)

    # The second manager finds it accepted already: the same answer, no second seat.
    assert run_together(2, decide) == ["accepted", "accepted"]
    assert Cohort.objects.get(pk=cohort.pk).seats_taken == 1
    assert Application.objects.get(pk=application.pk).status == "accepted"
