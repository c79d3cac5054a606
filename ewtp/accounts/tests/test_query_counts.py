"""Query counts of the operator's pages: organisations, the verification queue (with the
seller category requests), the audit log and the outbox.

Each page is read with a few rows and again with three times as many; the maximum is the
count measured, so a query per row (an N+1) fails here instead of in a benchmark.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ewtp.accounts.models import Organisation, User
from ewtp.accounts.services import organisation_verify
from ewtp.accounts.tests.factories import add_member, make_organisation, make_user
from ewtp.core import clock
from ewtp.core.models import OutboxMessage
from ewtp.core.services import audit_record

pytestmark = pytest.mark.django_db


def read(client: Client, url: str, django_assert_max_num_queries: Any, most: int) -> str:
    with django_assert_max_num_queries(most):
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def organisations(operator: User, count: int) -> None:
    """``count`` sellers waiting, and ``count`` verified ones asking for another category."""
    for _ in range(count):
        waiting = make_organisation(owner=make_user())
        add_member(waiting, make_user(), "staff")
        decided = make_organisation(owner=make_user())
        organisation_verify(actor=operator, organisation=decided, decision="verified", note="")
        Organisation.objects.filter(pk=decided.pk).update(
            seller_category_requested="cooperative", seller_category_requested_at=clock.now()
        )


def test_the_operators_organisation_pages_read_as_many_queries_for_9_rows_as_for_3(
    client: Client, operator: User, django_assert_max_num_queries: Any
) -> None:
    client.force_login(operator)
    organisations(operator, 3)
    client.get("/accounts/operator/organisations/")
    urls = ("/accounts/operator/organisations/", "/accounts/operator/organisations/?state=all")
    for url, most in zip(urls, (9, 9), strict=True):
        read(client, url, django_assert_max_num_queries, most)
    organisations(operator, 6)
    queue, everyone = (read(client, url, django_assert_max_num_queries, 9) for url in urls)
    assert queue.count('data-organisation="') == 9
    assert queue.count('data-category-request="') == 9
    assert everyone.count('data-organisation="') >= 18


def test_the_audit_log_and_outbox_read_as_many_queries_for_9_rows_as_for_3(
    client: Client, operator: User, django_assert_max_num_queries: Any
) -> None:
    client.force_login(operator)

    def add(start: int, count: int) -> None:
        for n in range(start, start + count):
            audit_record(actor=make_user(), action="test.row", data={"n": n})
            OutboxMessage.objects.create(
                to=f"buyer{n}@example.org",
                subject=f"Mail {n}",
                body="Hello",
                created_at=clock.now(),
            )

    add(0, 3)
    client.get("/accounts/operator/audit/")
    urls = ("/accounts/operator/audit/", "/accounts/operator/outbox/")
    for url, most in zip(urls, (8, 7), strict=True):
        read(client, url, django_assert_max_num_queries, most)
    add(3, 6)
    audit, outbox = (
        read(client, url, django_assert_max_num_queries, most)
        for url, most in zip(urls, (8, 7), strict=True)
    )
    assert audit.count("<code>test.row</code>") == 9
    assert outbox.count("@example.org") >= 9
