"""One field's profile: presence, nulls, NaN/inf, type mismatches, and the numeric and
categorical summaries of whatever values it received.

A field keeps both kinds of summary because upstream data does not respect the spec: a
float field that suddenly carries strings is exactly what the ``type`` check must see,
so the strings are counted (and summarised) rather than dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from telltale.profile.categorical import CategoricalSummary
from telltale.profile.hll import HLL
from telltale.profile.numeric import NumericSummary
from telltale.profile.vectors import VectorSummary

#: Distinct-count precision per column: 4096 registers, 1.6% standard error.
COLUMN_HLL_P = 12

_NUMERIC_TYPES = ("float", "int", "timestamp")
#: Declared types whose values are strings.
_TEXTUAL = ("category", "string", "bool", "text")

#: The exact counters a column carries (merged by addition, serialised as integers).
COUNTS = ("rows", "missing", "nulls", "nan", "inf", "mismatches", "below", "above", "unseen")


@dataclass(frozen=True)
class Bounds:
    """The spec's range and category set for a field, counted against at build time."""

    lo: float | None = None
    hi: float | None = None
    categories: frozenset[str] | None = None

    @classmethod
    def of(cls, field: Any) -> Bounds | None:
        """From a spec ``InputField`` or ``OutputSpec`` (None when it constrains nothing)."""
        rng = getattr(field, "range", None)
        cats = getattr(field, "categories", None)
        if cats is None and getattr(field, "classes", None) is not None:
            cats = [str(c) for c in field.classes]
        if rng is None and cats is None:
            return None
        return cls(rng.min if rng else None, rng.max if rng else None, frozenset(cats) if cats is not None else None)


@dataclass
class Parts:
    """One batch of one column's values, split by what they turned out to be.

    ``numbers`` excludes NaN (counted in ``nan`` and ``nulls``) but keeps +-inf;
    ``strings`` are distinct values with their ``string_counts``; ``string_hashes`` and
    ``number_hashes`` feed the distinct counter.
    """

    rows: int = 0
    missing: int = 0
    nulls: int = 0
    nan: int = 0
    numbers: np.ndarray = field(default_factory=lambda: np.empty(0))
    strings: Any = field(default_factory=list)  # list[str] or a pyarrow string array of distinct values
    string_counts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    string_hashes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    number_hashes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    bools: int = 0
    others: int = 0


class ColumnProfile:
    """Mergeable summary of one field. ``declared`` is the spec's type, if there is one."""

    __slots__ = ("declared", "rows", "missing", "nulls", "nan", "inf", "mismatches", "below", "above", "unseen",
                 "numeric", "categorical", "distinct", "vector", "_bounds")

    def __init__(self, declared: str | None = None, bounds: Bounds | None = None) -> None:
        self.declared = declared
        self._bounds = bounds  # build-time only: what below/above/unseen are counted against
        self.rows = 0  # rows seen, the field present or not
        self.missing = 0  # rows in which the field was absent
        self.nulls = 0  # None, or NaN (a NaN is a missing measurement, as in the contract)
        self.nan = 0
        self.inf = 0
        self.mismatches = 0  # values whose type is not the declared one
        self.below = 0  # finite values under the spec's range minimum (exact, at build time)
        self.above = 0  # finite values over the spec's range maximum
        self.unseen = 0  # strings outside the spec's category set
        self.numeric: NumericSummary | None = None
        self.categorical: CategoricalSummary | None = None
        self.distinct = HLL(COLUMN_HLL_P)
        self.vector: VectorSummary | None = None  # a vector field's mean and spread

    # -- reading -----------------------------------------------------------------------
    @property
    def present(self) -> int:
        return self.rows - self.missing

    @property
    def count(self) -> int:
        """Non-null values."""
        return self.present - self.nulls

    @property
    def null_share(self) -> float:
        """Share of rows where the value is null or the field absent (0 when no rows)."""
        return (self.nulls + self.missing) / self.rows if self.rows else 0.0

    @property
    def mismatch_share(self) -> float:
        return self.mismatches / self.count if self.count else 0.0

    @property
    def distinct_estimate(self) -> float:
        return self.distinct.estimate()

    @property
    def kind(self) -> str:
        """``numeric`` or ``categorical``: what most of the values were (declared type wins ties)."""
        n_num = self.numeric.count + self.inf if self.numeric else self.inf
        n_cat = self.categorical.count if self.categorical else 0
        if n_num == n_cat:
            return "categorical" if self.declared in _TEXTUAL else "numeric"
        return "numeric" if n_num > n_cat else "categorical"

    # -- building ----------------------------------------------------------------------
    def add(self, parts: Parts, *, batch: bool = False) -> None:
        """Count one batch of values in. ``batch=True`` (a whole data set in one call, as
        ``Profile.from_columns`` does) builds deterministic quantiles from the sorted
        values instead of a KLL sketch; such a column is complete and takes no more adds."""
        self.rows += parts.rows
        self.missing += parts.missing
        self.nulls += parts.nulls
        self.nan += parts.nan
        self.mismatches += parts.others
        x = parts.numbers
        if len(x):
            finite = np.isfinite(x)
            n_inf = int(len(x) - finite.sum())
            self.inf += n_inf
            fin = x[finite] if n_inf else x
            if batch and self.numeric is None:
                self.numeric = NumericSummary.of_batch(fin)
            else:
                if self.numeric is None:
                    self.numeric = NumericSummary()
                self.numeric.update(fin)
            b = self._bounds
            if b is not None and b.lo is not None:
                self.below += int(np.count_nonzero(fin < b.lo))
            if b is not None and b.hi is not None:
                self.above += int(np.count_nonzero(fin > b.hi))
            if self.declared in _TEXTUAL or self.declared == "vector":
                self.mismatches += len(x)
            elif self.declared == "int":
                self.mismatches += int(np.count_nonzero(finite & (np.floor(x) != x)))
            self.distinct.update(parts.number_hashes)
        n_str = int(parts.string_counts.sum()) if len(parts.string_counts) else 0
        if n_str:
            if self.categorical is None:
                self.categorical = CategoricalSummary()
            # A text field's frequent values are kept as prefixes: whole texts would make
            # the sketch (768 values) megabytes; the text statistics are separate columns.
            strings = text_prefixes(parts.strings) if self.declared == "text" else parts.strings
            self.categorical.update(strings, parts.string_counts)
            cats = self._bounds.categories if self._bounds is not None else None
            if cats is not None:
                self.unseen += _unseen(parts.strings, parts.string_counts, cats)
            if self.declared in _NUMERIC_TYPES:
                self.mismatches += n_str
            elif self.declared == "bool":
                self.mismatches += n_str - parts.bools
            elif self.declared == "vector":
                self.mismatches += n_str
            elif self.declared is not None:
                self.mismatches += parts.bools
            self.distinct.update(parts.string_hashes)

    def merge(self, other: ColumnProfile) -> ColumnProfile:
        out = ColumnProfile(self.declared if self.declared is not None else other.declared, self._bounds or other._bounds)
        for name in COUNTS:
            setattr(out, name, getattr(self, name) + getattr(other, name))
        out.numeric = _merge_opt(self.numeric, other.numeric)
        out.categorical = _merge_opt(self.categorical, other.categorical)
        out.distinct = self.distinct.merge(other.distinct)
        out.vector = _merge_vectors(self.vector, other.vector)
        return out

    @classmethod
    def combine(cls, cols: list[ColumnProfile]) -> ColumnProfile:
        """All ``cols`` in one, deterministically (the query-time merge; see ``NumericSummary.combine``)."""
        declared = next((c.declared for c in cols if c.declared is not None), None)
        out = cls(declared, next((c._bounds for c in cols if c._bounds is not None), None))
        for name in COUNTS:
            setattr(out, name, sum(getattr(c, name) for c in cols))
        nums = [c.numeric for c in cols if c.numeric is not None]
        out.numeric = NumericSummary.combine(nums) if nums else None
        cats = [c.categorical for c in cols if c.categorical is not None]
        out.categorical = CategoricalSummary.combine(cats) if cats else None
        out.distinct = HLL.union([c.distinct for c in cols])
        vecs = [c.vector for c in cols if c.vector is not None]
        out.vector = VectorSummary.combine(vecs) if vecs else None
        return out

    @classmethod
    def absent(cls, declared: str | None, rows: int, bounds: Bounds | None = None) -> ColumnProfile:
        """A field missing from every one of ``rows`` rows."""
        col = cls(declared, bounds)
        col.rows = col.missing = rows
        return col


def _unseen(values: Any, counts: np.ndarray, known: frozenset[str]) -> int:
    """Total count of the distinct ``values`` outside ``known`` (vectorised for Arrow arrays)."""
    if hasattr(values, "is_valid"):  # a pyarrow array
        import pyarrow.compute as pc

        from telltale.profile.arrow import strings, to_numpy

        inside = to_numpy(pc.is_in(values, value_set=strings(sorted(known), values.type)), fill=False)
        return int(counts[~inside].sum())
    return sum(int(c) for v, c in zip(values, counts.tolist()) if v not in known)


def _merge_vectors(a: VectorSummary | None, b: VectorSummary | None) -> VectorSummary | None:
    """Both summaries in a new one (None when neither side has one)."""
    if a is None or b is None:
        one = a if b is None else b
        return None if one is None else one.merge(VectorSummary(one.dim))
    return a.merge(b)


_Summary = TypeVar("_Summary", NumericSummary, CategoricalSummary)


def _merge_opt(a: _Summary | None, b: _Summary | None) -> _Summary | None:
    if a is None:
        return None if b is None else b.merge(type(b)())
    return a.merge(b) if b is not None else a.merge(type(a)())


#: Characters of a text value its column's frequent-values sketch keeps.
TEXT_PREFIX_CHARS = 64


def text_prefixes(values: Any) -> Any:
    """The first ``TEXT_PREFIX_CHARS`` characters of each value (a list or pyarrow array)."""
    if hasattr(values, "is_valid"):
        import pyarrow.compute as pc

        return pc.utf8_slice_codeunits(values, 0, TEXT_PREFIX_CHARS)
    return [v[:TEXT_PREFIX_CHARS] for v in values]
