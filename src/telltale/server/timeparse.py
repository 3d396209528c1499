"""Times in query strings: :mod:`telltale.timeparse` as FastAPI parameters and 422s."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Query

from telltale.timeparse import TIME_PATTERN, to_epoch

__all__ = ["TIME_PATTERN", "parse_time", "query_span", "time_query", "to_epoch"]


def parse_time(text: str, now: float, name: str) -> float:
    """:func:`to_epoch` for a query parameter: a 422 naming the parameter when it is wrong."""
    try:
        return to_epoch(text, now)
    except ValueError as e:
        raise HTTPException(422, f"query parameter {name}: {e}") from None


def query_span(since: str | None, until: str | None, now: float) -> tuple[float, float]:
    """The [since, until) a route reads: until defaults to now, since to an hour before until."""
    t1 = parse_time(until, now, "until") if until else now
    t0 = parse_time(since, now, "since") if since else t1 - 3600
    return t0, t1


def time_query(description: str) -> Any:
    """A ``since``/``until`` query parameter: optional, and matching :data:`TIME_PATTERN`."""
    return Query(None, pattern=TIME_PATTERN, description=description)
