"""Fixtures of tourism tests (the factories live in factories.py)."""

from __future__ import annotations

from typing import Any

import pytest

from ewtp.tourism.models import Experience
from ewtp.tourism.tests.factories import make_experience


@pytest.fixture
def experience(db: Any) -> Experience:
    return make_experience()
