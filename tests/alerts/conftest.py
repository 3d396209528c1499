from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.standin import StandIn


@pytest.fixture
def standin() -> Iterator[StandIn]:
    s = StandIn()
    yield s
    s.close()
