"""On PostgreSQL a statement the platform runs again is prepared once on its connection."""

from __future__ import annotations

import pytest
from django.db import connection

from ewtp.catalog.models import Product
from ewtp.catalog.search import search_page
from ewtp.core import conf
from ewtp.core.prepared import planned_for_values
from ewtp.tourism.models import Park


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_run_twice_is_prepared_and_its_values_sent_apart() -> None:
    def read() -> None:
        list(Park.objects.filter(slug="volcanoes").values_list("name"))

    read()
    assert not [text for text in _prepared() if '"tourism_park"' in text]
    read()
    read()
    prepared = [text for text in _prepared() if '"tourism_park"' in text]
    assert len(prepared) == 1
    # Server-side binding: the value is a parameter of the statement, not quoted into it.
    assert "$1" in prepared[0] and "volcanoes" not in prepared[0]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_of_many_parameters_is_parsed_once_a_process() -> None:
    """psycopg keeps statements parsed up to 50 parameters only; a checkout's INSERT of its
    orders (70) or of its lines, events and audit rows was parsed again on every checkout."""
    from psycopg import _queries

    sql = "SELECT " + ", ".join(["%s::int"] * 70)

    def run() -> tuple[int, ...]:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(range(70)))
            return tuple(cursor.fetchone())

    run()
    hits = _queries._query2pg.cache_info().hits
    assert run() == tuple(range(70))
    assert _queries._query2pg.cache_info().hits == hits + 1


def test_the_threshold_turns_server_side_binding_on_and_zero_turns_it_off() -> None:
    assert conf.DB_PREPARE_THRESHOLD.from_text(None) == 2
    on = {"server_side_binding": True, "prepare_threshold": 2}
    assert conf.postgres_prepared_options(2) == on
    assert conf.postgres_prepared_options(5) == {**on, "prepare_threshold": 5}
    assert conf.postgres_prepared_options(0) == {}


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_search_is_planned_for_its_words_each_time() -> None:
    for _ in range(3):
        found = search_page(Product.objects.all(), "coffee", offset=0, limit=24)
        assert found.total == 0
    assert [text for text in _prepared() if "to_tsquery" in text] == []
    with planned_for_values():
        assert connection.connection.prepare_threshold is None
    assert connection.connection.prepare_threshold == 2  # restored after
