"""Split a whole column (NumPy, pyarrow or pandas) into :class:`Parts`, vectorised.

The batch path behind ``Profile.from_columns``: a 10-million-row column costs a few
array passes and never becomes 10 million Python objects. Strings go through pyarrow's
dictionary encoding, so only the distinct values are ever Python strings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telltale.profile.arrow import float64, from_numpy, to_numpy, valid_mask
from telltale.profile.column import Parts
from telltale.profile.hashing import NULL_HASH, hash_floats, hash_strings
from telltale.profile.values import split_values

_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def split_array(values: Any, declared: str | None) -> tuple[Parts, np.ndarray]:
    """Return the parts of one column and one hash per row."""
    if isinstance(values, pa.ChunkedArray):
        if values.num_chunks != 1 and pa.types.is_dictionary(values.type):
            values = values.unify_dictionaries()  # one dictionary, so the codes concatenate
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if isinstance(values, pa.Array):
        return _split_arrow(values, declared)
    if not isinstance(values, np.ndarray):
        if hasattr(values, "to_numpy") and hasattr(values, "dtype"):  # a pandas Series
            try:
                return _split_arrow(pa.array(values, from_pandas=True), declared)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                values = values.to_numpy(dtype=object)
        else:
            values = np.asarray(values)
    return _split_numpy(values, declared)


def _split_numpy(x: np.ndarray, declared: str | None) -> tuple[Parts, np.ndarray]:
    if x.ndim != 1:
        raise ValueError(f"a column must be one-dimensional, got an array of shape {x.shape}")
    k = x.dtype.kind
    if k in "fiu":
        return _numbers(x.astype(np.float64, copy=False), nulls=0)
    if k == "b":
        return _bools(x)
    if k == "M":
        secs = x.astype("datetime64[ns]").astype(np.int64).astype(np.float64) * 1e-9
        secs[np.isnat(x)] = np.nan
        return _numbers(secs, nulls=0)
    try:
        return _split_arrow(pa.array(x, from_pandas=True), declared)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return split_values(x.tolist(), declared)  # mixed types: the slow, exact path


def _split_arrow(a: pa.Array, declared: str | None) -> tuple[Parts, np.ndarray]:
    t = a.type
    if pa.types.is_dictionary(t):
        if _is_string(t.value_type) and (parts := _dictionary_strings(a)) is not None:
            return parts
        a = a.cast(t.value_type)
        t = a.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return _numbers(float64(a), nulls=a.null_count)
    if pa.types.is_boolean(t):
        valid = valid_mask(a)
        return _bools(to_numpy(a, fill=False), nulls=a.null_count, null_mask=None if valid is None else ~valid)
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        if pa.types.is_date(t):
            a = a.cast(pa.timestamp("s"))
        scale = _SECONDS[a.type.unit]
        secs = float64(a.cast(pa.int64())) * scale
        return _numbers(secs, nulls=a.null_count)
    if _is_string(t):
        return _strings(a)
    if pa.types.is_null(t):
        n = len(a)
        return Parts(rows=n, nulls=n), np.full(n, NULL_HASH, dtype=np.uint64)
    return split_values(a.to_pylist(), declared)  # lists, structs: rare, kept exact


def _numbers(x: np.ndarray, nulls: int) -> tuple[Parts, np.ndarray]:
    """``x`` is float64 with arrow nulls (if any, ``nulls`` of them) already NaN."""
    isnan = np.isnan(x)
    n_nan = int(isnan.sum())
    hashes = hash_floats(x)
    hashes[isnan] = NULL_HASH
    vals = x[~isnan] if n_nan else x
    parts = Parts(rows=len(x), nulls=n_nan, nan=n_nan - nulls, numbers=vals, number_hashes=hashes[~isnan] if n_nan else hashes)
    return parts, hashes


def _bools(x: np.ndarray, nulls: int = 0, null_mask: np.ndarray | None = None) -> tuple[Parts, np.ndarray]:
    x = x.astype(bool, copy=False)
    valid = ~null_mask if null_mask is not None else np.ones(len(x), dtype=bool)
    n_true = int((x & valid).sum())
    n_false = int(valid.sum()) - n_true
    words = ["true", "false"]
    word_hashes = hash_strings(words)
    hashes = np.where(x, word_hashes[0], word_hashes[1]).astype(np.uint64)
    if null_mask is not None:
        hashes[null_mask] = NULL_HASH
    counts = np.array([n_true, n_false], dtype=np.int64)
    parts = Parts(rows=len(x), nulls=nulls, strings=words, string_counts=counts, string_hashes=word_hashes, bools=n_true + n_false)
    return parts, hashes


def _strings(a: pa.Array) -> tuple[Parts, np.ndarray]:
    enc = pc.dictionary_encode(a)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    uniques = enc.dictionary  # stays an Arrow array: no Python string per distinct value
    idx = to_numpy(enc.indices, fill=-1).astype(np.int64)
    valid = idx >= 0
    counts = np.bincount(idx[valid], minlength=len(uniques)).astype(np.int64)
    uhash = hash_strings(uniques)
    hashes = np.full(len(idx), NULL_HASH, dtype=np.uint64)
    hashes[valid] = uhash[idx[valid]]
    parts = Parts(rows=len(a), nulls=a.null_count, strings=uniques, string_counts=counts, string_hashes=uhash)
    return parts, hashes


def _is_string(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def _dictionary_strings(a: pa.DictionaryArray) -> tuple[Parts, np.ndarray] | None:
    """A dictionary-encoded string column (how Parquet stores categories) split over its
    codes: the same parts and hashes as decoding it and encoding it again, without
    making a string per row. None when the dictionary has nulls or repeats a value."""
    dictionary = a.dictionary
    if dictionary.null_count or pc.count_distinct(dictionary).as_py() != len(dictionary):
        return None
    idx = to_numpy(a.indices, fill=-1).astype(np.int64, copy=False)
    valid = idx >= 0
    all_valid = a.null_count == 0
    codes = idx if all_valid else idx[valid]
    counts = np.bincount(codes, minlength=len(dictionary)).astype(np.int64)
    used = np.flatnonzero(counts)
    uniques = dictionary if used.size == len(dictionary) else dictionary.take(from_numpy(used))
    uhash_all = np.zeros(len(dictionary), dtype=np.uint64)
    uhash_all[used] = hash_strings(uniques)  # only values that occur reach the distinct counter
    if all_valid:
        hashes = uhash_all[idx]
    else:
        hashes = np.full(len(idx), NULL_HASH, dtype=np.uint64)
        hashes[valid] = uhash_all[codes]
    parts = Parts(rows=len(a), nulls=a.null_count, strings=uniques, string_counts=counts[used], string_hashes=uhash_all[used])
    return parts, hashes
