"""JSON for stored records: tolerant of what a guard may hand over (NumPy scalars, dates, NaN)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any


def dumps(obj: Any) -> str:
    # allow_nan: a NaN input from an in-process guard is kept as written (the contract
    # already counted it as a null); the HTTP server rejects NaN before it gets here.
    return _ENCODER.encode(obj)


def loads(text: str) -> Any:
    return json.loads(text)


def _default(o: Any) -> Any:
    """What ``json`` cannot encode itself, as something it can."""
    if isinstance(o, (datetime, date)):
        return o.isoformat()
    item = getattr(o, "item", None)  # numpy scalars
    if callable(item):
        return item()
    tolist = getattr(o, "tolist", None)  # numpy arrays
    if callable(tolist):
        return tolist()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    return str(o)


#: One encoder for every call (``json.dumps`` with options builds a new one each time:
#: a third of the cost of encoding a small record).
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_default, allow_nan=True)
