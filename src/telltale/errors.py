"""Telltale's exceptions: few, specific, and subclassing what callers already catch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from telltale.types import Violation


class TelltaleError(Exception):
    """Base class for every error telltale raises on purpose."""


@dataclass(frozen=True, slots=True)
class SpecProblem:
    """One problem in a spec file, located by line and dotted key."""

    path: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where} {self.key}: {self.message}" if self.key else f"{where} {self.message}"


class SpecError(TelltaleError, ValueError):
    """The spec file is unreadable or invalid; ``problems`` lists every one found."""

    def __init__(self, problems: list[SpecProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ContractViolation(TelltaleError, ValueError):
    """A record broke the contract and the caller asked for strict validation."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__("; ".join(f"{v.field}: {v.message}" for v in violations))


class StoreError(TelltaleError, RuntimeError):
    """The store could not be reached or refused a write."""


class UnknownServiceError(TelltaleError, KeyError):
    """A service name that is not registered in this project."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "unknown service"
