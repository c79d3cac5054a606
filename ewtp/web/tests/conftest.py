from __future__ import annotations

import pytest

from ewtp.web.tests.messages import ensure_compiled


@pytest.fixture(scope="session", autouse=True)
def _compiled_messages() -> None:
    ensure_compiled()
