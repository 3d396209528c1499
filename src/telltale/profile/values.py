"""Split Python values (one field across a batch of records) into :class:`Parts`.

The records path: the store profiles each ingested batch of a few hundred to a few
thousand records, so one Python pass over the values is fine here; everything after the
split (sketch updates, hashing) is vectorised and shared with the columnar path.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime
from typing import Any

import numpy as np

from telltale.profile.column import Parts
from telltale.profile.hashing import NULL_HASH, hash_floats, hash_strings

#: Stands for "the record had no such key".
MISSING: Any = object()


def split_values(values: list[Any], declared: str | None) -> tuple[Parts, np.ndarray]:
    """Return the parts of ``values`` and one hash per value (for duplicate-row detection)."""
    n = len(values)
    parts = Parts(rows=n)
    num_pos: list[int] = []
    num_val: list[float] = []
    str_pos: list[int] = []
    str_val: list[str] = []
    bools = 0
    timestamp = declared == "timestamp"
    for i, v in enumerate(values):
        if v is MISSING:
            parts.missing += 1
        elif v is None:
            parts.nulls += 1
        elif isinstance(v, (bool, np.bool_)):
            str_pos.append(i)
            str_val.append("true" if v else "false")
            bools += 1
        elif isinstance(v, (int, float)):
            x = float(v)
            if x != x:
                parts.nulls += 1
                parts.nan += 1
            else:
                num_pos.append(i)
                num_val.append(x)
        elif isinstance(v, str):
            ts = _parse_time(v) if timestamp else None
            if ts is not None:
                num_pos.append(i)
                num_val.append(ts)
            else:
                str_pos.append(i)
                str_val.append(v)
        elif timestamp and isinstance(v, datetime):
            num_pos.append(i)
            num_val.append(v.timestamp())
        elif hasattr(v, "__float__") and not isinstance(v, (list, dict, tuple)):  # numpy scalars
            x = float(v)
            if math.isnan(x):
                parts.nulls += 1
                parts.nan += 1
            else:
                num_pos.append(i)
                num_val.append(x)
        else:
            parts.others += 1
    row_hashes = np.full(n, NULL_HASH, dtype=np.uint64)
    if num_val:
        arr = np.asarray(num_val, dtype=np.float64)
        parts.numbers = arr
        parts.number_hashes = hash_floats(arr)
        row_hashes[np.asarray(num_pos)] = parts.number_hashes
    if str_val:
        counts = Counter(str_val)
        uniques = list(counts)
        parts.strings = uniques
        parts.string_counts = np.fromiter(counts.values(), dtype=np.int64, count=len(uniques))
        parts.string_hashes = hash_strings(uniques)
        parts.bools = bools
        lookup = dict(zip(uniques, parts.string_hashes.tolist()))
        row_hashes[np.asarray(str_pos)] = np.fromiter((lookup[s] for s in str_val), dtype=np.uint64, count=len(str_val))
    return parts, row_hashes


def _parse_time(s: str) -> float | None:
    try:
        return datetime.fromisoformat(s).timestamp()
    except ValueError:
        return None
