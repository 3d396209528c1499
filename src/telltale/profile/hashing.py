"""64-bit value hashes shared by every profile path, so sketches built from records and
from columns agree on what "the same value" is and stay mergeable.

Numbers hash by their float64 bits (3 and 3.0 are one value), strings by FNV-1a over
their UTF-8 bytes; both then pass through the splitmix64 finaliser so every output bit
depends on every input bit (HyperLogLog needs uniform high bits).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

_U = np.uint64
_MASK = (1 << 64) - 1
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3

#: The hash of a null or missing value, so rows differing only there still differ.
NULL_HASH = 0x9E3779B97F4A7C15
#: Salt mixed in for strings so the string "1" and the number 1 hash apart.
_STRING_SALT = 0x632BE59BD9B4E019


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser over a uint64 array (wrapping arithmetic).

    Works in place on cache-sized chunks: on 10 million values that is about 4x faster
    than whole-array expressions, which are bound by memory traffic for temporaries.
    """
    z = np.array(x, dtype=_U, copy=True).reshape(-1)
    tmp = np.empty(min(len(z), _CHUNK), dtype=_U)
    with np.errstate(over="ignore"):
        for lo in range(0, len(z), _CHUNK):
            c = z[lo:lo + _CHUNK]
            t = tmp[: len(c)]
            c += _U(0x9E3779B97F4A7C15)
            np.right_shift(c, _U(30), out=t)
            c ^= t
            c *= _U(0xBF58476D1CE4E5B9)
            np.right_shift(c, _U(27), out=t)
            c ^= t
            c *= _U(0x94D049BB133111EB)
            np.right_shift(c, _U(31), out=t)
            c ^= t
    return z


_CHUNK = 1 << 15


def hash_floats(values: np.ndarray) -> np.ndarray:
    """Hash finite or infinite float64 values; -0.0 and 0.0 hash alike."""
    v = np.asarray(values, dtype=np.float64) + 0.0  # turns -0.0 into 0.0
    return splitmix64(v.view(_U))


#: Strings up to this many UTF-8 bytes hash by FNV-1a, vectorised across strings (the
#: hash every profile has always used, so old and new profiles agree on them); longer
#: ones by BLAKE2b, one C call each, so a 9 MB string costs milliseconds, not a Python
#: loop per byte position (issue 10, item 4).
FNV_MAX_BYTES = 1024
#: Chunks whose strings are all this short take the masked loop (no sort).
_SHORT = 32


def hash_strings(values: Any) -> np.ndarray:
    """Hash strings (a list, or a pyarrow string array) without a Python object per
    value: FNV-1a runs over Arrow's byte buffer, vectorised across strings, in
    cache-sized chunks, looping over byte positions (at most ``FNV_MAX_BYTES``) on only
    the strings that are still that long; longer strings hash by BLAKE2b. Linear in the
    total bytes."""
    offsets, data = _string_buffers(values)
    n = len(offsets) - 1
    h = np.full(n, _FNV_OFFSET, dtype=_U)
    if n == 0:
        return h
    starts = offsets[:-1]
    lengths = offsets[1:] - starts
    long = np.flatnonzero(lengths > FNV_MAX_BYTES)
    with np.errstate(over="ignore"):
        for lo in range(0, n, _CHUNK):
            st, ln = starts[lo:lo + _CHUNK], np.minimum(lengths[lo:lo + _CHUNK], FNV_MAX_BYTES)
            longest = int(ln.max()) if len(ln) else 0
            if longest <= _SHORT:  # short strings: a masked step over the chunk beats sorting it
                hc = h[lo:lo + _CHUNK]
                last = max(len(data) - 1, 0)
                for j in range(longest):
                    byte = data[np.minimum(st + j, last)].astype(_U)
                    hc[:] = np.where(ln > j, (hc ^ byte) * _U(_FNV_PRIME), hc)
                continue
            order = np.argsort(-ln, kind="stable")  # longest first: the strings still going are a prefix
            st_o, ln_o = st[order], ln[order]
            hc = h[lo:lo + _CHUNK][order]
            active = np.searchsorted(-ln_o, -np.arange(longest), side="left")  # how many are longer than j
            for j in range(longest):
                k = int(active[j])
                hc[:k] = (hc[:k] ^ data[st_o[:k] + j].astype(_U)) * _U(_FNV_PRIME)
            h[lo + order] = hc
    out = splitmix64(h ^ _U(_STRING_SALT))
    if len(long):
        out[long] = _hash_long(data, starts[long], lengths[long])
    return out


def _string_buffers(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Arrow's layout of ``values``: int64 offsets (n + 1) and the UTF-8 bytes (at least
    one, so indexing stays in bounds). Anything but an Arrow array is laid out with NumPy
    alone, so recording to a store never imports pyarrow (the lean install has none)."""
    pa = sys.modules.get("pyarrow")  # an Arrow array implies pyarrow is already imported
    if pa is None or not isinstance(values, pa.Array):
        enc = [str(v).encode("utf-8") for v in values]
        offsets = np.zeros(len(enc) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in enc], out=offsets[1:])
        joined = b"".join(enc)
        return offsets, (np.frombuffer(joined, dtype=np.uint8) if joined else np.zeros(1, np.uint8))
    arr = values if pa.types.is_large_string(values.type) else values.cast(pa.large_string())
    n = len(arr)
    if n == 0:
        return np.zeros(1, dtype=np.int64), np.zeros(1, np.uint8)
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64)[arr.offset: arr.offset + n + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None and bufs[2].size else np.zeros(1, np.uint8)
    return offsets, data


def _hash_long(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    import hashlib

    buf = data.data  # memoryview(data); numpy declares the buffer protocol to typing only for Python >= 3.12
    key = _LONG_KEY
    return np.fromiter((int.from_bytes(hashlib.blake2b(buf[s:s + n], digest_size=8, key=key).digest(), "little")
                        for s, n in zip(starts.tolist(), lengths.tolist())), dtype=_U, count=len(starts))


#: Keys BLAKE2b for long strings so its values are telltale's own (and apart from FNV's).
_LONG_KEY = b"telltale-long-string-v1"


def combine(acc: np.ndarray, name: str, column_hashes: np.ndarray) -> np.ndarray:
    """Add one field's per-row hashes into per-row accumulators, keyed by the field's name.

    Addition makes the row hash independent of field order, and nulls (``NULL_HASH``)
    add nothing, so a field absent from a batch and a field present but null give the
    same row hash: profiles of batches that saw different field sets still merge exactly.
    """
    key = _U(hash_string_raw(name))
    mixed = splitmix64(column_hashes ^ key)
    mixed[column_hashes == _U(NULL_HASH)] = 0
    with np.errstate(over="ignore"):
        acc += mixed
    return acc


def finish_rows(acc: np.ndarray) -> np.ndarray:
    """The final row hashes from the accumulators (one more mix so sums spread evenly)."""
    return splitmix64(acc)


def hash_string_raw(s: str) -> int:
    h = _FNV_OFFSET
    for b in s.encode("utf-8"):
        h = ((h ^ b) * _FNV_PRIME) & _MASK
    return h


def hash_string(s: str) -> int:
    """The scalar twin of :func:`hash_strings`, for tests and single values."""
    return int(hash_strings([s])[0])
