"""The mergeable profile of a batch of records or columns (DESIGN.md, "Decisions").

A profile is what monitors read instead of raw data: per-field summaries plus row-level
counts. Profiles of disjoint batches merge into the profile of their union (exactly for
counts, within the sketches' stated error for quantiles and distinct counts), so a
window of any length is a merge of minute profiles and monitoring cost does not grow
with traffic.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from telltale.profile.column import Bounds, ColumnProfile
from telltale.profile.hashing import combine, finish_rows
from telltale.profile.hll import HLL
from telltale.profile.text import TEXT_PREFIX, TEXT_STATS, text_column, text_stats
from telltale.profile.values import MISSING, split_values
from telltale.profile.vectors import VECTOR_PREFIX, VectorSummary, norm_column, split_vectors

if TYPE_CHECKING:
    from telltale.spec.model import ServiceSpec
    from telltale.types import PredictionRecord

#: Reserved column names for what is not an input. Inputs never start with "__".
PREDICTION = "__prediction__"
TARGET = "__target__"
CONFIDENCE = "__confidence__"
LATENCY = "__latency_ms__"
COST = "__cost__"
SEGMENT = "__segment__"
INPUT_TOKENS = "__input_tokens__"
OUTPUT_TOKENS = "__output_tokens__"
CACHED_TOKENS = "__cached_tokens__"
ATTEMPTS = "__attempts__"
EVENT_LAG = "__event_lag_s__"  # decision ts minus event_ts: how old the input was (freshness)
RESERVED = frozenset({PREDICTION, TARGET, CONFIDENCE, LATENCY, COST, SEGMENT, INPUT_TOKENS, OUTPUT_TOKENS, CACHED_TOKENS, ATTEMPTS,
                      EVENT_LAG})
#: Batches of at least this many rows profile their columns on threads (below, the pool costs more).
THREADED_ROWS = 50_000
#: Per-stage latency columns are ``__stage_ms__:<stage>`` (one per stage name seen).
STAGE_PREFIX = "__stage_ms__:"

#: Usage columns, profiled only when some record of the batch carries the value (a
#: service that reports no tokens pays nothing for them): column -> record attribute.
USAGE_COLUMNS: dict[str, str] = {INPUT_TOKENS: "input_tokens", OUTPUT_TOKENS: "output_tokens",
                                 CACHED_TOKENS: "cached_tokens", ATTEMPTS: "attempts"}


def stage_column(stage: str) -> str:
    """The reserved column holding a stage's latency in ms: ``__stage_ms__:retrieval``."""
    return STAGE_PREFIX + stage


def is_reserved(name: str) -> bool:
    """True for columns that are not inputs (the output, latency, cost, stages, usage,
    the statistics derived from text and vector fields...)."""
    return name in RESERVED or name.startswith(_DERIVED_PREFIXES)


#: Columns derived from inputs (``telltale.profile.text``, ``telltale.profile.vectors``).
_DERIVED_PREFIXES = (STAGE_PREFIX, TEXT_PREFIX, VECTOR_PREFIX)

#: Row-hash distinct counter precision: 16384 registers (0.8% error), because duplicate
#: share is read as 1 - distinct/n and its noise is the sketch's error.
ROW_HLL_P = 14


class Profile:
    """Summaries of ``n`` rows: ``fields`` (inputs plus reserved columns), decision
    ``sources``, contract ``violations`` by (field, kind), the ``guards`` that took calls
    from the model (by name), and a distinct counter over whole input rows for duplicate
    detection."""

    __slots__ = ("n", "fields", "sources", "violations", "rows", "guards")

    def __init__(self, n: int = 0, fields: dict[str, ColumnProfile] | None = None, sources: Mapping[str, int] | None = None,
                 violations: Mapping[tuple[str, str], int] | None = None, rows: HLL | None = None,
                 guards: Mapping[str, int] | None = None) -> None:
        self.n = n
        self.fields: dict[str, ColumnProfile] = dict(fields or {})
        self.sources: dict[str, int] = dict(sources or {})
        self.violations: dict[tuple[str, str], int] = dict(violations or {})
        self.rows = rows if rows is not None else HLL(ROW_HLL_P)
        self.guards: dict[str, int] = dict(guards or {})

    # -- reading -----------------------------------------------------------------------
    @property
    def inputs(self) -> dict[str, ColumnProfile]:
        """The input fields only (no prediction, target, confidence, latency, cost, stages, usage)."""
        return {k: v for k, v in self.fields.items() if not is_reserved(k)}

    @property
    def stages(self) -> dict[str, ColumnProfile]:
        """Per-stage latency columns by stage name (``retrieval``, ``model``...)."""
        n = len(STAGE_PREFIX)
        return {k[n:]: v for k, v in self.fields.items() if k.startswith(STAGE_PREFIX)}

    @property
    def distinct_rows(self) -> float:
        return min(float(self.n), self.rows.estimate())

    @property
    def duplicate_share(self) -> float:
        """Estimated share of rows whose inputs repeat an earlier row (0 when empty)."""
        return max(0.0, 1.0 - self.distinct_rows / self.n) if self.n else 0.0

    def describe(self) -> dict[str, Any]:
        """Plain JSON-ready numbers (counts, quantiles, top values) per field."""
        from telltale.profile.describe import describe

        return describe(self)

    def __repr__(self) -> str:
        return f"Profile(n={self.n}, fields={sorted(self.fields)})"

    # -- building ----------------------------------------------------------------------
    @classmethod
    def from_records(cls, spec: ServiceSpec | None, records: Iterable[PredictionRecord]) -> Profile:
        """Profile prediction records: inputs per spec field (plus unexpected ones), the
        output as ``__prediction__``, confidence, latency (total and per stage), cost,
        token usage and attempts, sources and violations."""
        recs = list(records)
        n = len(recs)
        declared = {k: f.type for k, f in spec.inputs.items()} if spec is not None else {}
        keys = spec.identifiers if spec is not None else frozenset()
        bounds = _bounds(spec)
        names = list(declared)
        seen = set(names)
        for r in recs:
            for k in r.inputs:
                if k not in seen:
                    seen.add(k)
                    names.append(k)
        fields: dict[str, ColumnProfile] = {}
        row_acc = np.zeros(n, dtype=np.uint64)
        dims = _dims(spec)
        for name in sorted(names):
            values = [r.inputs.get(name, MISSING) for r in recs]
            if name in dims:
                parts, hashes = _vector_field(fields, name, values, dims[name])
            else:
                parts, hashes = split_values(values, declared.get(name))
                fields[name] = _column(declared.get(name), parts, bounds.get(name))
                if declared.get(name) == "text":
                    _text_fields(fields, name, values, n, bounds)
            if name not in keys:  # a row key would make every row distinct: no duplicate ever seen
                row_acc = combine(row_acc, name, hashes)
        out_type = spec.output.type if spec is not None else None
        extras: list[tuple[str, str | None, list[Any]]] = [
            (PREDICTION, out_type, [r.output for r in recs]),
            (CONFIDENCE, "float", [r.confidence for r in recs]),
            (LATENCY, "float", [r.latency_ms for r in recs]),
            (COST, "float", [r.cost for r in recs]),
        ]
        if any(r.segment is not None for r in recs):
            extras.append((SEGMENT, "category", [r.segment for r in recs]))
        stage_names = sorted({s for r in recs for s in r.stages})
        for stage in stage_names:
            extras.append((stage_column(stage), "float", [r.stages.get(stage, MISSING) for r in recs]))
        for col, attr in USAGE_COLUMNS.items():
            vals = [getattr(r, attr) for r in recs]
            if any(v is not None for v in vals):
                extras.append((col, "int", vals))
        if any(r.event_ts is not None for r in recs):
            extras.append((EVENT_LAG, "float", [r.ts - r.event_ts if r.event_ts is not None else None for r in recs]))
        for name, typ, vals in extras:
            fields[name] = _column(typ, split_values(vals, typ)[0], bounds.get(name))
        rows = HLL(ROW_HLL_P)
        rows.update(finish_rows(row_acc))
        sources = Counter(r.source for r in recs)
        violations: Counter[tuple[str, str]] = Counter((v.field, v.kind) for r in recs for v in r.violations)
        guards = Counter(r.guard for r in recs if r.guard is not None)
        return cls(n, fields, sources, violations, rows, guards)

    @classmethod
    def from_columns(cls, spec: ServiceSpec | None, columns: Any) -> Profile:
        """Profile batch data: a mapping of name to NumPy/pyarrow/pandas column, a
        pyarrow Table or a pandas DataFrame. Vectorised; spec inputs absent from the data
        are profiled as missing in every row; ``spec.prediction`` and ``spec.target``
        columns become ``__prediction__`` and ``__target__``."""
        from telltale.profile.arrays import split_array

        cols = _as_mapping(columns)
        n = _common_length(cols)
        declared = {k: f.type for k, f in spec.inputs.items()} if spec is not None else {}
        keys = spec.identifiers if spec is not None else frozenset()
        bounds = _bounds(spec)
        rename = {}
        if spec is not None and spec.prediction:
            rename[spec.prediction] = PREDICTION
        if spec is not None and spec.target:
            rename[spec.target] = TARGET
        fields: dict[str, ColumnProfile] = {}
        row_acc = np.zeros(n, dtype=np.uint64)
        dims = _dims(spec)
        input_names = sorted(set(declared) | {k for k in cols if k not in rename and not is_reserved(k)})

        def one(name: str) -> tuple[dict[str, ColumnProfile], Any]:
            """One input's column profiles (more than one for text) and its row hashes
            (None when the input is absent: it adds nothing to the row hash)."""
            own: dict[str, ColumnProfile] = {}
            if name not in cols:
                own[name] = ColumnProfile.absent(declared.get(name), n, bounds.get(name))
                return own, None
            if name in dims:
                return own, _vector_field(own, name, cols[name], dims[name], batch=True)[1]
            parts, hashes = split_array(cols[name], declared.get(name))
            own[name] = _column(declared.get(name), parts, bounds.get(name), batch=True)
            if declared.get(name) == "text":
                _text_fields(own, name, cols[name], n, bounds, batch=True)
            return own, hashes

        # Columns are independent and NumPy releases the GIL in its loops, so large batches
        # profile their columns on threads; fields and the row hash still follow name order,
        # so the profile is the same bytes either way.
        workers = min(len(input_names), os.cpu_count() or 1) if n >= THREADED_ROWS else 1
        if workers > 1:
            # imported here: concurrent.futures registers an atexit hook on import, which a
            # recorder's last flush at interpreter exit (records, never batches) must not do
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(workers) as pool:
                done = list(pool.map(one, input_names))
        else:
            done = [one(name) for name in input_names]
        for name, (own, hashes) in zip(input_names, done):
            fields.update(own)
            if hashes is not None and name not in keys:
                row_acc = combine(row_acc, name, hashes)
        out_type = spec.output.type if spec is not None else None
        for name, col in cols.items():
            target = rename.get(name, name if is_reserved(name) else None)
            if target is not None:
                typ = out_type if target == PREDICTION else None
                fields[target] = _column(typ, split_array(col, typ)[0], bounds.get(target), batch=True)
        rows = HLL(ROW_HLL_P)
        rows.update(finish_rows(row_acc))
        return cls(n, fields, {}, {}, rows)

    # -- combining ---------------------------------------------------------------------
    def merge(self, other: Profile) -> Profile:
        """The profile of both batches together; neither input changes.

        Quantile sketches merge by KLL's own randomised compaction, which keeps a stored
        row small: this is the store's write path. Queries use :meth:`merge_all`."""
        fields: dict[str, ColumnProfile] = {}
        for name in list(self.fields) + [k for k in other.fields if k not in self.fields]:
            a, b = self.fields.get(name), other.fields.get(name)
            if a is None:
                a = ColumnProfile.absent(b.declared, self.n)  # type: ignore[union-attr]
            if b is None:
                b = ColumnProfile.absent(a.declared, other.n)
            fields[name] = a.merge(b)
        return Profile(self.n + other.n, fields, Counter(self.sources) + Counter(other.sources),
                       Counter(self.violations) + Counter(other.violations), self.rows.merge(other.rows),
                       Counter(self.guards) + Counter(other.guards))

    @classmethod
    def merge_all(cls, profiles: Iterable[Profile]) -> Profile | None:
        """The profile of every batch together, deterministically: the same profiles in
        the same order give the same result in any process (DESIGN.md, "Same data, same
        verdict"). What every query-time merge uses; None when there are none."""
        ps = list(profiles)
        if len(ps) <= 1:
            return ps[0] if ps else None
        names = list(dict.fromkeys(name for p in ps for name in p.fields))
        fields: dict[str, ColumnProfile] = {}
        for name in names:
            present = next(p.fields[name] for p in ps if name in p.fields)
            fields[name] = ColumnProfile.combine([p.fields.get(name) or ColumnProfile.absent(present.declared, p.n) for p in ps])
        return cls(sum(p.n for p in ps), fields, _add(p.sources for p in ps), _add(p.violations for p in ps),
                   HLL.union([p.rows for p in ps]), _add(p.guards for p in ps))

    def to_bytes(self) -> bytes:
        from telltale.profile.codec import encode

        return encode(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> Profile:
        from telltale.profile.codec import decode

        return decode(data)


def _add(counts: Iterable[Mapping[Any, int]]) -> dict[Any, int]:
    out: Counter[Any] = Counter()
    for c in counts:
        out.update(c)
    return {k: v for k, v in out.items() if v > 0}


def _column(declared: str | None, parts: Any, bounds: Bounds | None = None, *, batch: bool = False) -> ColumnProfile:
    col = ColumnProfile(declared, bounds)
    col.add(parts, batch=batch)
    return col


def _dims(spec: ServiceSpec | None) -> dict[str, int]:
    """The dimension of each vector field."""
    if spec is None:
        return {}
    return {name: f.dim for name, f in spec.inputs.items() if f.type == "vector" and f.dim is not None}


def _text_fields(fields: dict[str, ColumnProfile], name: str, values: Any, n: int, bounds: dict[str, Bounds],
                 *, batch: bool = False) -> None:
    """The derived numeric columns of text field ``name`` (length, character-class shares),
    over the rows that hold a string; the others count as missing."""
    from telltale.profile.column import Parts

    stats = text_stats(values)
    for stat in TEXT_STATS:
        x = stats[stat]
        col = text_column(name, stat)
        fields[col] = _column("float", Parts(rows=n, missing=n - x.size, numbers=x), bounds.get(col), batch=batch)


def _vector_field(fields: dict[str, ColumnProfile], name: str, values: Any, dim: int, *,
                  batch: bool = False) -> tuple[Any, np.ndarray]:
    """Vector field ``name``: its column (counts, mismatches, the mean-and-spread summary)
    and the derived norm column; returns the parts and the row hashes."""
    from telltale.profile.column import Parts

    parts, hashes, x = split_vectors(values, dim)
    col = _column("vector", parts)
    col.vector = VectorSummary(dim)
    col.vector.update(x)
    fields[name] = col
    norms = np.sqrt(np.einsum("ij,ij->i", x, x)) if x.size else np.empty(0)
    fields[norm_column(name)] = _column("float", Parts(rows=parts.rows, missing=parts.rows - norms.size, numbers=norms), batch=batch)
    return parts, hashes


def _bounds(spec: ServiceSpec | None) -> dict[str, Bounds]:
    if spec is None:
        return {}
    out = {name: b for name, f in spec.inputs.items() if (b := Bounds.of(f)) is not None}
    for name, f in spec.inputs.items():  # a text field's length limits bound its length column
        if f.type == "text" and (f.min_length is not None or f.max_length is not None):
            out[text_column(name, "length")] = Bounds(f.min_length, f.max_length)
    b = Bounds.of(spec.output)
    if b is not None:
        out[PREDICTION] = b
    return out


def _as_mapping(columns: Any) -> dict[str, Any]:
    if hasattr(columns, "column_names") and hasattr(columns, "column"):  # pyarrow Table
        return {name: columns.column(name) for name in columns.column_names}
    if hasattr(columns, "columns") and hasattr(columns, "__getitem__") and hasattr(columns, "dtypes"):  # pandas
        return {str(name): columns[name] for name in columns.columns}
    if isinstance(columns, Mapping):
        return {str(k): v for k, v in columns.items()}
    raise TypeError(f"columns must be a mapping of name to array, a pyarrow Table or a pandas DataFrame, got {type(columns).__name__}")


def _common_length(cols: dict[str, Any]) -> int:
    n: int | None = None
    first = ""
    for name, col in cols.items():
        m = len(col)
        if n is None:
            n, first = m, name
        elif m != n:
            raise ValueError(f"column {name!r} has {m} rows but column {first!r} has {n}; every column must have the same length")
    return n or 0
