"""Times on the command line and in query strings: epoch seconds, ISO 8601, or ``-1h``.

The parsing alone, without FastAPI, so the CLI's reading commands run on the lean install;
``telltale.server.timeparse`` wraps it for query parameters.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

_RELATIVE = re.compile(r"^-(\d+(?:\.\d+)?)([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

_YEAR = r"(19[7-9][0-9]|20[0-9]{2})"
_LEAP = r"(19(7[26]|8[048]|9[26])|20([02468][048]|[13579][26]))-02-29"
_DATE = rf"({_YEAR}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)|{_LEAP})"
_CLOCK = r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?"
#: What a ``since``/``until`` query parameter may be, as the OpenAPI document states it and
#: FastAPI enforces it: epoch seconds, an ISO 8601 date or time (1970 to 2099, real dates
#: only, so that every match parses), or a span back from now. ASCII digits only.
TIME_PATTERN = rf"^([0-9]{{1,12}}(\.[0-9]{{1,9}})?|-[0-9]{{1,9}}(\.[0-9]{{1,6}})?[smhdw]|{_DATE}([T ]{_CLOCK})?)$"


def to_epoch(text: str, now: float) -> float:
    """``1767225600``, ``2026-01-01T00:00:00Z`` (naive means UTC) or ``-15m`` (before now)."""
    t = text.strip()
    m = _RELATIVE.match(t)
    if m:
        return now - float(m.group(1)) * _UNIT_S[m.group(2)]
    try:
        return float(t)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a time; use epoch seconds, ISO 8601 (2026-01-01T00:00:00Z) or a span back from now (-1h, -30m, -7d)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()
