"""Schema-driven fuzzing of the whole API (schemathesis over /api/v1/openapi.json), as a guest
and with a bearer token for each role of the demo: no answer is a server error, and every
answer matches the schema. Bounded: a few examples per operation and role."""

from __future__ import annotations

import io
import os
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from ewtp.accounts.models import User
from ewtp.accounts.services import api_token_create
from ewtp.web.demo import USERS

# Examples per operation: the guest gets more, each signed-in role a few (time in CI ~1 min).
GUEST_EXAMPLES = int(os.environ.get("FUZZ_GUEST", "12"))
ROLE_EXAMPLES = int(os.environ.get("FUZZ_ROLE", "3"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def _schema() -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())


def _fuzz(operation: Any, headers: dict[str, str], examples: int, tally: Counter[str]) -> str:
    """Runs one operation; returns "" or the first failure's description."""

    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=strategy)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        tally["requests"] += 1
        tally[f"{response.status_code // 100}xx"] += 1
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as failure:  # collect every failure, report all
        return f"{operation.label}: {str(failure)[:1500]}"
    return ""


@pytest.mark.django_db
def test_fuzzing_the_whole_api_as_a_guest_and_each_role_finds_no_server_error() -> None:
    call_command("loaddemo", stdout=io.StringIO())
    schema = _schema()
    operations = [result.ok() for result in schema.get_all_operations()]
    # Identity: schemathesis reads the body as sent (GZipMiddleware compresses otherwise).
    plain = {"Accept-Encoding": "identity"}
    callers: list[tuple[str, dict[str, str], int]] = [("guest", plain, GUEST_EXAMPLES)]
    for spec in USERS:
        _, clear = api_token_create(user=User.objects.get(email=spec.email), name="fuzz")
        callers.append((spec.email, plain | {"Authorization": f"Bearer {clear}"}, ROLE_EXAMPLES))
    tally: Counter[str] = Counter()
    failures = []
    started = time.monotonic()
    for who, headers, examples in callers:
        for operation in operations:
            tally["operations"] += 1
            failure = _fuzz(operation, headers, examples, tally)
            if failure:
                failures.append(f"[{who}] {failure}")
    print(
        f"\nAPI fuzzing: {len(operations)} operations x {len(callers)} callers = "
        f"{tally['operations']} runs, {tally['requests']} requests "
        f"({tally['2xx']} 2xx, {tally['4xx']} 4xx, {tally['5xx']} 5xx) "
        f"in {time.monotonic() - started:.0f} s; {len(failures)} failures"
    )
    assert failures == [], "\n\n".join(failures)
