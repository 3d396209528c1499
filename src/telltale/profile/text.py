"""Language-agnostic statistics of a ``text`` field, as numeric columns a profile keeps.

Each text value becomes its length in characters and the shares of its characters that
are letters, digits, whitespace, punctuation (symbols included) and non-ASCII, by
Unicode class, so any script counts the same way. They are ordinary numeric columns of
the profile (KLL sketches), named ``__text__:<field>:<statistic>``: minute profiles merge
them and the monitor tests them for drift per window like any number, at a cost that
does not grow with traffic. Counting runs in Arrow's C++ regex engine (RE2), not per
character in Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: The reserved prefix of the derived columns.
TEXT_PREFIX = "__text__:"

#: Statistic -> the RE2 class whose matches it counts (``length`` counts every character).
_CLASSES: dict[str, str] = {
    "letters": r"\pL",
    "digits": r"\pN",
    "whitespace": r"\s",
    "punctuation": r"[\pP\pS]",
    "non_ascii": r"[^\x00-\x7f]",
}
#: The statistics kept per text field, in column order.
TEXT_STATS: tuple[str, ...] = ("length", *_CLASSES)


def text_column(field: str, stat: str) -> str:
    """The derived column holding ``stat`` of text field ``field``: ``__text__:review:length``."""
    return f"{TEXT_PREFIX}{field}:{stat}"


def text_stats(values: Any) -> dict[str, np.ndarray]:
    """Per-text statistics of the strings among ``values`` (a list, NumPy or pyarrow
    array; anything not a string is left out): length in characters and the share of
    each character class (0 for an empty text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from telltale.profile.arrow import float64

    a = _strings(values)
    if len(a) == 0:
        return {s: np.empty(0) for s in TEXT_STATS}
    length = float64(pc.utf8_length(a).cast(pa.float64()))
    denom = np.maximum(length, 1.0)
    out = {"length": length}
    for stat, pattern in _CLASSES.items():
        counts = float64(pc.count_substring_regex(a, pattern).cast(pa.float64()))
        out[stat] = counts / denom
    return out


def _strings(values: Any) -> Any:
    """The string values of ``values`` as one pyarrow string array, nulls and non-strings dropped."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if isinstance(values, pa.Array):
        if pa.types.is_dictionary(values.type):
            values = values.cast(values.type.value_type)
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            return values.drop_null()
        values = values.to_pylist()
    texts = [v for v in list(values) if isinstance(v, str)]
    try:
        return pa.array(texts, type=pa.string())
    except UnicodeEncodeError:  # a lone surrogate cannot be UTF-8: it counts as one "?" character
        return pa.array([t.encode("utf-8", "replace").decode("utf-8") for t in texts], type=pa.string())
