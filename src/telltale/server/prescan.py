"""Measure a body's nesting before ``json.loads`` can recurse into it.

Python's json parser recurses once per level: a body nested a few thousand levels deep
raises ``RecursionError`` (a 500 for the whole batch), and a record nested 900 levels
deep parses but breaks every later read of it. So the depth is measured first, on the
bytes, without recursion and in C-speed passes:

1. the count of ``[`` and ``{`` bounds the depth; a normal body stops here;
2. else escapes are removed and every byte but quotes and brackets dropped
   (``bytes.replace``/``translate``), and NumPy sums the brackets outside strings;
3. only a body that really nests too deep is mapped byte by byte (NumPy again), and
   each record holding a too-deep value is replaced by a small marker object that the
   parser answers as that record's error, naming its field. The rest of the batch is
   parsed and kept as usual.

``{"records": [ {record} ]}``: a record's own level is body depth 3, so a record may
reach body depth ``max_depth + 2``.
"""

from __future__ import annotations

import json

import numpy as np

#: The key of the marker object that stands in for a too-deep record: [depth, field].
TOO_DEEP = "\x00telltale:too_deep"

_KEEP = b'"[]{}'
_DROP = bytes(b for b in range(256) if b not in _KEEP)
_ENVELOPE = 2  # the body object and its records list


def cut_deep_records(body: bytes, max_depth: int) -> bytes:
    """``body`` with every record nested deeper than ``max_depth`` replaced by a marker.

    Raises ValueError when the body itself (outside any record) nests too deep.
    """
    allowed = max_depth + _ENVELOPE
    a = np.frombuffer(body, np.uint8)
    if np.count_nonzero(a == 91) + np.count_nonzero(a == 123) <= allowed:  # NumPy: 4x bytes.count
        return body
    reduced = body.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _DROP)
    if _max_depth(np.frombuffer(reduced, np.uint8)) <= allowed:
        return body
    return _cut(body, allowed, max_depth)


def _max_depth(a: np.ndarray) -> int:
    outside = (np.cumsum(a == 34) & 1) == 0
    delta = (((a == 91) | (a == 123)) & outside).astype(np.int32) - (((a == 93) | (a == 125)) & outside)
    return int(np.cumsum(delta).max()) if len(a) else 0


def _cut(body: bytes, allowed: int, max_depth: int) -> bytes:
    a = np.frombuffer(body, np.uint8)
    n = len(a)
    idx = np.arange(n)
    # a quote is real unless preceded by an odd run of backslashes
    last_plain = np.maximum.accumulate(np.where(a == 92, -1, idx))
    escaped = np.zeros(n, dtype=bool)
    escaped[1:] = ((idx[1:] - 1 - last_plain[:-1]) & 1).astype(bool)
    quotes = (a == 34) & ~escaped
    outside = (np.cumsum(quotes) & 1) == 0
    opens = ((a == 91) | (a == 123)) & outside
    closes = ((a == 93) | (a == 125)) & outside
    depth = np.cumsum(opens.astype(np.int32) - closes)
    colons = np.flatnonzero((a == 58) & outside)
    quote_at = np.flatnonzero(quotes)
    lo, hi = _records_span(body, depth, opens, closes, colons, quote_at)
    starts = np.flatnonzero(opens & (depth == _ENVELOPE + 1))
    starts = starts[(starts > lo) & (starts < hi)]
    ends = np.flatnonzero(closes & (depth == _ENVELOPE))
    too_deep = np.flatnonzero(depth > allowed)
    out: list[bytes] = []
    pos = 0
    i = 0
    while i < len(too_deep):
        p = int(too_deep[i])
        k = int(np.searchsorted(starts, p, side="right")) - 1
        if k < 0:
            raise ValueError(f"the body nests deeper than {max_depth} levels outside any record (max_depth)")
        s = int(starts[k])
        j = int(np.searchsorted(ends, s, side="right"))
        e = int(ends[j]) if j < len(ends) else n - 1
        if e < p:
            raise ValueError(f"the body nests deeper than {max_depth} levels outside any record (max_depth)")
        deepest = int(depth[s:e + 1].max()) - _ENVELOPE
        where = _field_of(body, s, p, depth, colons, quote_at)
        out += [body[pos:s], json.dumps({TOO_DEEP: [deepest, where]}).encode()]
        pos = e + 1
        i = int(np.searchsorted(too_deep, e, side="right"))
    out.append(body[pos:])
    return b"".join(out)


def _records_span(body: bytes, depth: np.ndarray, opens: np.ndarray, closes: np.ndarray,
                  colons: np.ndarray, quote_at: np.ndarray) -> tuple[int, int]:
    """Byte positions of the ``records`` list's brackets; (-1, -1) when there is none."""
    for c in colons[depth[colons] == 1]:
        q = quote_at[quote_at < c]
        if len(q) < 2 or body[int(q[-2]):int(q[-1]) + 1] != b'"records"':
            continue
        after = np.flatnonzero(opens[c:])
        if not len(after):
            break
        lo = int(c + after[0])
        if body[lo:lo + 1] != b"[" or body[c + 1:lo].strip():
            break
        tail = np.flatnonzero(closes[lo:] & (depth[lo:] == 1))
        return lo, int(lo + tail[0]) if len(tail) else len(body)
    return -1, -1


def _field_of(body: bytes, start: int, p: int, depth: np.ndarray, colons: np.ndarray, quote_at: np.ndarray) -> str | None:
    """The record's key holding position ``p`` (``inputs.<name>`` inside the inputs)."""
    names: list[str] = []
    for level in (_ENVELOPE + 1, _ENVELOPE + 2):
        cand = colons[(colons > start) & (colons < p)]
        cand = cand[depth[cand] == level]
        if not len(cand):
            break
        c = int(cand[-1])
        q = quote_at[quote_at < c]
        if len(q) < 2:
            break
        try:
            key = json.loads(body[int(q[-2]):int(q[-1]) + 1])
        except ValueError:
            break
        names.append(str(key))
        if key != "inputs":
            break
        start = c
    return ".".join(names) or None
