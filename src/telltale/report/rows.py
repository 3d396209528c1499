"""One row of the report's table of every check that ran, passed or not."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One line of the table of every check that ran, passed or not."""

    check: str
    feature: str | None
    status: str  # passed, warning, critical, skipped
    statistic: str | None = None
    value: float | None = None
    threshold: float | None = None
    detail: str = ""
