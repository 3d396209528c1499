"""Arrow <-> NumPy without pandas.

pyarrow (26) imports pandas, when it is installed, the first time an array is converted to
or from NumPy or Python objects (``to_numpy``, ``pa.array``, even ``pa.scalar``): half a
second of a ``telltale report`` that never uses pandas. These helpers read and build
Arrow buffers directly instead, and fall back to pyarrow's own conversion for the types
they do not cover.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa


def _dtype(t: pa.DataType) -> np.dtype | None:
    if pa.types.is_floating(t):
        return np.dtype(f"float{t.bit_width}")
    if pa.types.is_signed_integer(t):
        return np.dtype(f"int{t.bit_width}")
    if pa.types.is_unsigned_integer(t):
        return np.dtype(f"uint{t.bit_width}")
    return None


def _single(a: Any) -> pa.Array:
    if isinstance(a, pa.ChunkedArray):
        return a.combine_chunks() if a.num_chunks != 1 else a.chunk(0)
    return a


def valid_mask(a: pa.Array) -> np.ndarray | None:
    """True where ``a`` holds a value; None when it has no nulls."""
    if a.null_count == 0:
        return None
    buf = a.buffers()[0]
    if buf is None:  # a null-typed array: nothing is valid
        return np.zeros(len(a), dtype=bool)
    return _bits(buf, a.offset, len(a))


def _bits(buf: pa.Buffer, offset: int, n: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(buf, dtype=np.uint8), count=offset + n, bitorder="little")
    return bits[offset:].view(bool)


def to_numpy(a: Any, fill: Any = None) -> np.ndarray:
    """The values of a numeric (or boolean) array; null slots hold ``fill`` (required when
    there are nulls). Zero-copy and read-only for a fixed-width array without nulls."""
    a = _single(a)
    t = a.type
    n = len(a)
    if pa.types.is_boolean(t):
        bufs = a.buffers()
        x = _bits(bufs[1], a.offset, n).copy() if n else np.zeros(0, dtype=bool)
    else:
        dt = _dtype(t)
        bufs = a.buffers()
        if dt is None or len(bufs) != 2 or (n and bufs[1] is None):
            plain: np.ndarray = a.to_numpy(zero_copy_only=False)  # not a plain fixed-width array: pyarrow's path
            return plain
        x = np.frombuffer(bufs[1], dtype=dt, count=a.offset + n)[a.offset:] if n else np.zeros(0, dtype=dt)
    mask = valid_mask(a)
    if mask is not None:
        if fill is None:
            raise ValueError("the array has nulls: give a fill value")
        if isinstance(fill, float) and x.dtype.kind != "f":
            x = x.astype(np.float64)
        elif x.dtype.kind in "iu":
            x = x.astype(np.int64)
        else:
            x = x.copy()
        x[~mask] = fill
    return x


def float64(a: Any) -> np.ndarray:
    """A numeric column as float64 with NaN for null (zero-copy when it already is one)."""
    a = _single(a)
    if not pa.types.is_float64(a.type):
        a = a.cast(pa.float64())
    return to_numpy(a, fill=np.nan)


def from_numpy(x: np.ndarray) -> pa.Array:
    """A fixed-width NumPy array as an Arrow array without nulls (no copy when contiguous)."""
    x = np.ascontiguousarray(x)
    t = pa.from_numpy_dtype(x.dtype)
    return pa.Array.from_buffers(t, len(x), [None, pa.py_buffer(x)])


def strings(values: list[str], type: pa.DataType | None = None) -> pa.Array:
    """Python strings as an Arrow string array (``type``: string by default)."""
    enc = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(enc) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in enc], out=offsets[1:])
    out = pa.Array.from_buffers(pa.large_string(), len(enc), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(enc))])
    t = type if type is not None else pa.string()
    return out if t == pa.large_string() else out.cast(t)
