"""telltale: a reliability layer for AI systems in production.

Importing this package and using the guard never imports the server's dependencies
(FastAPI, uvicorn, SQLAlchemy): those load only when the server or a store is used.
"""

from telltale.clock import Clock, ManualClock, SystemClock
from telltale.contract import Contract
from telltale.errors import ContractViolation, SpecError, StoreError, TelltaleError
from telltale.guard import Guard
from telltale.spec import ServiceSpec, check_spec, load_spec, parse_spec
from telltale.types import Decision, Finding, PredictionRecord, Violation, Window

__version__ = "0.1.0"

__all__ = [
    "Clock", "Contract", "ContractViolation", "Decision", "Finding", "Guard", "ManualClock",
    "PredictionRecord", "ServiceSpec", "SpecError", "StoreError", "SystemClock",
    "TelltaleError", "Violation", "Window", "check_spec", "load_spec", "parse_spec",
]
