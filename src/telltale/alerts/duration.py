"""Durations people type: ``90``, ``90s``, ``30m``, ``2h``, ``7d``, ``1w``."""

from __future__ import annotations

import re

#: A duration as text, for schemas: a number of seconds, or of s, m, h, d or w (ASCII digits).
DURATION_PATTERN = r"^([0-9]+(?:\.[0-9]+)?)([smhdw]?)$"
_DURATION = re.compile(DURATION_PATTERN)
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str | float) -> float:
    """Seconds in ``text``; ValueError saying the accepted forms otherwise.

    >>> parse_duration("2h"), parse_duration("90")
    (7200.0, 90.0)
    """
    if isinstance(text, (int, float)):
        return float(text)
    m = _DURATION.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a duration; use seconds or a number with s, m, h, d or w (30m, 2h, 7d)")
    return float(m.group(1)) * _UNIT_S[m.group(2)]
