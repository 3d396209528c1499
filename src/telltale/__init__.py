"""telltale: a reliability layer for AI systems in production.

Importing this package and using the guard never imports the server's dependencies
(FastAPI, uvicorn, SQLAlchemy): those load only when the server or a store is used. The
names below load on first use (PEP 562), so a command that needs only the contract and the
profiles (``telltale report``) does not pay for the guard and asyncio at start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ loads each on first use
    from telltale.clock import Clock, ManualClock, SystemClock  # noqa: F401
    from telltale.contract import Contract  # noqa: F401
    from telltale.errors import ContractViolation, SpecError, StoreError, TelltaleError  # noqa: F401
    from telltale.guard import Guard  # noqa: F401
    from telltale.spec import ServiceSpec, check_spec, load_spec, parse_spec  # noqa: F401
    from telltale.types import Decision, Finding, PredictionRecord, Violation, Window  # noqa: F401

__version__ = "0.1.0"

#: Each public name and the module that defines it.
_HOME = {
    "Clock": "telltale.clock", "ManualClock": "telltale.clock", "SystemClock": "telltale.clock",
    "Contract": "telltale.contract",
    "ContractViolation": "telltale.errors", "SpecError": "telltale.errors",
    "StoreError": "telltale.errors", "TelltaleError": "telltale.errors",
    "Guard": "telltale.guard",
    "ServiceSpec": "telltale.spec", "check_spec": "telltale.spec", "load_spec": "telltale.spec",
    "parse_spec": "telltale.spec",
    "Decision": "telltale.types", "Finding": "telltale.types", "PredictionRecord": "telltale.types",
    "Violation": "telltale.types", "Window": "telltale.types",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'telltale' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])
