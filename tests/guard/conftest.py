"""Shared helpers for the guard's tests: small specs built from dicts, a memory recorder."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from telltale.record.memory import MemoryRecorder
from telltale.spec import ServiceSpec, spec_from_dict

BASE: dict[str, Any] = {
    "service": "eta",
    "owner": "ml@example.com",
    "model_version": "v2",
    "previous_version": "v1",
    "inputs": {
        "distance_km": {"type": "float", "range": [0, 60]},
        "city": {"type": "category", "categories": ["Lyon", "Paris"], "segment": True},
        "rain_mm": {"type": "float", "range": [0, 200], "nullable": True, "required": False},
    },
    "output": {"type": "float", "range": [1, 240]},
    "fallback": ["rules", {"default": 35.0}, "abstain"],
    "guard": {"breaker": None},
}

GOOD = {"distance_km": 3.0, "city": "Lyon", "rain_mm": 0.0}


def make_spec(*, guard: dict[str, Any] | None = None, **top: Any) -> ServiceSpec:
    """The base spec with top-level keys replaced and guard settings merged in."""
    d = copy.deepcopy(BASE)
    d.update(top)
    if guard:
        d["guard"] = {**d["guard"], **guard}
    return spec_from_dict(d)


def eta_model(r: dict[str, Any]) -> float:
    return 10.0 + 2.0 * r["distance_km"]


def rules(r: dict[str, Any]) -> float:
    return 20.0


@pytest.fixture
def recorder() -> MemoryRecorder:
    return MemoryRecorder()
