from __future__ import annotations

import pytest

from ewtp.orders.tests.conftest import _fresh_cache, immediate_tasks, reference_data, three_sellers  # noqa: F401
from ewtp.traderules.tests.conftest import _fresh_snapshot, steward  # noqa: F401
