"""Fixtures for the hostile-input tests: one real server process per module, fresh service names."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_SPEC
from tests.server.conftest import (  # noqa: F401
    ServerHandle,
    eta_spec_path,
    eta_spec_path_module,
    module_server,
    server,
    server_factory,
    start_server,
)

GOOD_INPUTS = {"distance_km": 3.2, "prep_time_s": 540.0, "items": 2, "hour": 12, "weekday": 3, "city": "Lyon"}


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    """A real server (subprocess) on a SQLite file, the example ETA spec registered."""
    db = tmp_path_factory.mktemp("hostile") / "telltale.db"
    h = start_server(f"sqlite:///{db}", specs=[EXAMPLE_SPEC])
    yield h
    h.stop()


def good(i: int | str, **extra: object) -> dict:
    """A record the example spec accepts, with a unique id."""
    return {"id": f"good-{i}-{uuid.uuid4().hex[:8]}", "inputs": dict(GOOD_INPUTS), "output": 31.5, **extra}


def spec_path() -> Path:
    return EXAMPLE_SPEC
