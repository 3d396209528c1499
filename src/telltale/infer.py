"""Infer a data contract from reference data (``telltale init``, and ``telltale report``
without a spec).

What is inferred, and how:

- type from the column's Arrow type; strings with at most 50 distinct values (and no
  more than half the rows distinct) become a ``category`` listing them, other strings
  stay ``string``;
- unit from the column name's suffix (``prep_time_s`` is seconds; see
  :mod:`telltale.checks.unit_names`), never from the values;
- range from the observed min and max widened by 10% of the span on each side (rounded
  outward to two significant digits), without crossing zero when no value did: a range
  exactly at the training extremes would flag every new maximum;
- ``text`` for free-form strings: median length at least 40 characters, at least 80% of
  values holding whitespace and at least half distinct (short codes, names and labels
  stay ``string``); ``vector`` with its ``dim`` for a list column of numbers whose rows
  all have the same length (an embedding);
- nullable when the reference has any null;
- an identifier (``identifier: true``, not required, no range) when an integer column
  holds a different value in every row and is monotonic or named like a key (``id``,
  ``order_id``, ``uuid``...), or a string column holds a different value in every row
  with one length or a key-like name: such a column differs between any two periods by
  design, so a range, drift or a domain classifier on it would only ever raise alarms.

A reference needs at least ``MIN_ROWS`` rows: from fewer, a range or a category list is
a guess, and drift against it is noise.

What a person must decide (owners, SLOs, rules, fallbacks) is not inferred at all.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telltale.checks.unit_names import unit_from_name

#: At most this many distinct strings make a category (and at most half the rows distinct).
MAX_CATEGORIES = 50
#: Ranges are widened by this share of the observed span on each side.
RANGE_MARGIN = 0.10
#: The fewest reference rows a contract is inferred from.
MIN_ROWS = 20
#: Column names that mark a row key (matched case-insensitively on the whole name).
_KEY_NAME = re.compile(r"^(id|uuid|guid|key|idx|index|row|row_?(id|num|number)|.+[_-](id|uuid|key)|.+Id)$", re.IGNORECASE)


class DataError(ValueError):
    """Reference data missing, unreadable or unusable; the message is one line."""


@dataclass
class InferredField:
    """One column's inferred contract plus what was seen, for the spec's comments."""

    name: str
    type: str
    unit: str | None = None
    range: tuple[float, float] | None = None
    nullable: bool = False
    categories: list[str] | None = None
    seen: str = ""
    identifier: bool = False
    dim: int | None = None

    def to_spec(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type}
        if self.dim is not None:
            d["dim"] = self.dim
        if self.identifier:
            d.update({"identifier": True, "required": False})
        if self.unit:
            d["unit"] = self.unit
        if self.range is not None:
            d["range"] = [self.range[0], self.range[1]]
        if self.categories is not None:
            d["categories"] = list(self.categories)
        if self.nullable:
            d["nullable"] = True
        return d


@dataclass
class Inference:
    inputs: list[InferredField]
    output: InferredField | None
    rows: int
    skipped: dict[str, str] = field(default_factory=dict)  # column -> why it is not an input


def read_table(path: str | Path, columns: list[str] | None = None) -> Any:
    """Read a Parquet or CSV file into a pyarrow Table; :class:`DataError` with one line
    naming the file and the problem otherwise.

    Parquet is read through ``ParquetFile`` (multithreaded, one pass over the file, only
    ``columns`` when given): ``pq.read_table`` goes through ``pyarrow.dataset``, which
    imports pandas (half a second) for a single file that needs none of it."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: file not found")
    if p.is_dir():
        raise DataError(f"{p}: is a directory; give a Parquet or CSV file")
    suffixes = [s.lower() for s in p.suffixes]
    try:
        if ".parquet" in suffixes or ".pq" in suffixes:
            with pq.ParquetFile(p) as f:
                return f.read(columns=columns, use_threads=True)
        if ".csv" in suffixes or ".tsv" in suffixes:
            delim = "\t" if ".tsv" in suffixes else ","
            table = pacsv.read_csv(p, parse_options=pacsv.ParseOptions(delimiter=delim))
            return table if columns is None else table.select([c for c in columns if c in table.column_names])
    except (pa.ArrowException, OSError) as e:
        kind = "Parquet" if ".parquet" in suffixes or ".pq" in suffixes else "CSV"
        raise DataError(f"{p}: cannot be read as {kind}: {_first_line(e)}") from None
    raise DataError(f"{p}: unknown format {p.suffix or '(no suffix)'!r}; use a .parquet or .csv file")


def infer(table: Any, *, target: str | None = None, prediction: str | None = None, describe: bool = True) -> Inference:
    """Infer input fields (and the output, from the prediction or target column).

    ``describe=False`` skips what only the spec's comments show (the median in ``seen``),
    for callers that keep the contract only, such as ``telltale report``."""
    names = list(table.column_names)
    for flag, col in (("--target", target), ("--prediction", prediction)):
        if col is not None and col not in names:
            raise DataError(f"{flag} column {col!r} is not in the data; columns are {', '.join(names[:20])}")
    inputs: list[InferredField] = []
    skipped: dict[str, str] = {}
    for name in names:
        if name in (target, prediction):
            continue
        if name.startswith("__"):
            skipped[name] = "names starting with '__' are reserved"
            continue
        f = infer_field(name, table.column(name), describe=describe)
        if f is None:
            skipped[name] = f"type {table.column(name).type} is not supported as an input"
        else:
            inputs.append(f)
    out_col = prediction or target
    output = infer_field(out_col, table.column(out_col), output=True, describe=describe) if out_col else None
    return Inference(inputs, output, table.num_rows, skipped)


def infer_field(name: str, column: Any, *, output: bool = False, describe: bool = True) -> InferredField | None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from telltale.profile.arrow import float64, from_numpy

    col = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    t = col.type
    if pa.types.is_dictionary(t) and not _is_string(t.value_type):
        col = col.cast(t.value_type)
        t = col.type
    n = len(col)
    nulls = col.null_count
    nullable = nulls > 0
    null_note = f"{_pct(nulls / n)} null" if n else "no rows"
    if pa.types.is_boolean(t):
        return InferredField(name, "bool", nullable=nullable, seen=null_note)
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        # One float64 buffer (nulls as NaN; zero-copy when there are none), then NumPy:
        # no filtered copy of the column just to find its finite extremes.
        a = float64(col.cast(pa.float64()))
        nan = int(np.count_nonzero(np.isnan(a))) - nulls if pa.types.is_floating(t) else 0
        null_note = f"{_pct((nulls + nan) / n)} null" if n else "no rows"
        typ = "int" if pa.types.is_integer(t) else "float"
        unit = None if output else unit_from_name(name)
        finite = np.isfinite(a)
        fin = a if finite.all() else a[finite]
        if typ == "int" and not output and (why := _integer_key(name, fin)):
            return InferredField(name, "int", nullable=nullable, identifier=True, seen=f"{why}: {_KEY_NOTE}")
        rng = None
        seen = null_note
        if fin.size:
            lo, hi = float(fin.min()), float(fin.max())
            rng = widen(lo, hi, unit, integer=typ == "int")
            if describe:
                med = pc.approximate_median(from_numpy(fin)).as_py()
                seen = f"seen {_num(lo)} to {_num(hi)}, median {_num(med)}, {null_note}"
        return InferredField(name, typ, unit=unit, range=rng, nullable=nullable or nan > 0, seen=seen)
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return InferredField(name, "timestamp", nullable=nullable, seen=null_note)
    if pa.types.is_dictionary(t) or _is_string(t):
        values, freq = _value_counts(col)
        non_null = n - nulls
        if not output and 0 < len(values) <= MAX_CATEGORIES and len(values) <= max(1, non_null // 2):
            order = sorted(zip(freq, values), key=lambda fv: (-fv[0], fv[1]))
            cats = [v for _, v in order]
            return InferredField(name, "category", categories=cats, nullable=nullable,
                                 seen=f"{len(cats)} values, most common {cats[0]!r} ({_pct(order[0][0] / non_null)}), {null_note}")
        typ = "category" if output else "string"
        if not output and non_null >= MIN_ROWS and len(values) == non_null and (_KEY_NAME.match(name) or _one_length(col)):
            return InferredField(name, "string", nullable=nullable, identifier=True,
                                 seen=f"a different value in each of {non_null} rows: {_KEY_NOTE}")
        if not output and (why := _free_text(col, len(values), non_null)):
            return InferredField(name, "text", nullable=nullable, seen=f"{why}, {null_note}")
        return InferredField(name, typ, nullable=nullable, seen=f"{len(values)} distinct values, {null_note}")
    if not output and (dim := _vector_dim(col)) is not None:
        return InferredField(name, "vector", dim=dim, nullable=nullable, seen=f"vectors of {dim} numbers, {null_note}")
    return None


#: A string column is inferred as free text when its median length reaches this many
#: characters, most values hold a space and most are distinct (conservative: short
#: codes, names and labels stay strings).
TEXT_MEDIAN_CHARS = 40
TEXT_SPACED_SHARE = 0.8
TEXT_DISTINCT_SHARE = 0.5


def _free_text(col: Any, distinct: int, non_null: int) -> str | None:
    """Why a string column looks like free text (long, spaced, mostly distinct values), else None."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if non_null < MIN_ROWS or distinct < TEXT_DISTINCT_SHARE * non_null:
        return None
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    present = col.drop_null()
    lengths = pc.utf8_length(present).to_numpy(zero_copy_only=False)
    median = float(np.median(lengths))
    spaced = pc.mean(pc.match_substring_regex(present, r"\s").cast(pa.float64())).as_py()
    if median < TEXT_MEDIAN_CHARS or spaced < TEXT_SPACED_SHARE:
        return None
    return f"free text: median {median:.0f} characters, {_pct(spaced)} with spaces, {distinct} distinct values"


def _vector_dim(col: Any) -> int | None:
    """The common length of a list column of numbers (an embedding), else None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = col.type
    if pa.types.is_fixed_size_list(t):
        ok = pa.types.is_floating(t.value_type) or pa.types.is_integer(t.value_type)
        return t.list_size if ok and t.list_size >= 2 else None
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
        return None
    if not (pa.types.is_floating(t.value_type) or pa.types.is_integer(t.value_type)) or len(col) == col.null_count:
        return None
    mm = pc.min_max(pc.list_value_length(col.drop_null())).as_py()
    return int(mm["min"]) if mm["min"] == mm["max"] and mm["min"] >= 2 else None


_KEY_NOTE = "an identifier, left out of range, drift and the domain classifier"


def _integer_key(name: str, values: Any) -> str | None:
    """Why an integer column is a row key (distinct in every row, monotonic or key-named), else None."""
    import numpy as np

    if values.size < MIN_ROWS or np.unique(values).size != values.size:
        return None
    steps = np.diff(values)
    if (steps > 0).all() or (steps < 0).all():
        return f"a different value in each of {values.size} rows, {'increasing' if steps[0] > 0 else 'decreasing'}"
    return f"a different value in each of {values.size} rows" if _KEY_NAME.match(name) else None


def _one_length(col: Any) -> bool:
    """True when every non-null string has the same length (UUIDs, hashes, fixed-width keys)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(col.type):
        col = col.dictionary
    lengths = pc.utf8_length(col.drop_null())
    return len(lengths) > 0 and pc.min_max(lengths)["min"].as_py() == pc.min_max(lengths)["max"].as_py()


def _is_string(t: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def _value_counts(col: Any) -> tuple[list[str], list[int]]:
    """Distinct non-null strings and their counts. A dictionary-encoded column (how
    Parquet stores categories) is counted over its codes: no string per row is made."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from telltale.profile.arrow import from_numpy, to_numpy

    if pa.types.is_dictionary(col.type):
        dictionary = col.dictionary
        if dictionary.null_count == 0 and pc.count_distinct(dictionary).as_py() == len(dictionary):
            idx = to_numpy(col.indices, fill=-1).astype(np.int64, copy=False)
            idx = idx[idx >= 0] if col.null_count else idx
            counts = np.bincount(idx, minlength=len(dictionary)) if idx.size else np.zeros(len(dictionary), dtype=np.int64)
            used = np.flatnonzero(counts)
            return dictionary.take(from_numpy(used)).to_pylist(), counts[used].tolist()
        col = col.cast(col.type.value_type)  # duplicate or null dictionary entries: count the strings
    counts = pc.value_counts(col.drop_null())
    return counts.field("values").to_pylist(), counts.field("counts").to_pylist()


def widen(lo: float, hi: float, unit: str | None = None, *, integer: bool = False) -> tuple[float, float]:
    """The observed [lo, hi] widened by RANGE_MARGIN of the span, rounded outward to two
    significant digits, never crossing zero when the data did not (and a fraction or
    percentage never past its natural bounds)."""
    span = hi - lo
    pad = RANGE_MARGIN * span if span > 0 else max(abs(hi), 1.0) * RANGE_MARGIN
    a, b = lo - pad, hi + pad
    if lo >= 0 > a:
        a = 0.0
    if hi <= 0 < b:
        b = 0.0
    if unit == "fraction" and lo >= 0 and hi <= 1:
        a, b = 0.0, 1.0
    if unit == "pct" and lo >= 0 and hi <= 100:
        a, b = 0.0, 100.0
    a, b = _nice(a, down=True), _nice(b, down=False)
    if integer:
        a, b = float(math.floor(a)), float(math.ceil(b))
    return (int(a) if a.is_integer() else a, int(b) if b.is_integer() else b)


def _nice(x: float, *, down: bool) -> float:
    if x == 0 or not math.isfinite(x):
        return 0.0 if x == 0 else x
    exp = math.floor(math.log10(abs(x))) - 1
    step = 10.0 ** exp
    q = x / step
    r = math.floor(q) if down else math.ceil(q)
    return float(round(r * step, max(0, -exp)))


def _pct(s: float) -> str:
    return f"{100 * s:.1f}%"


def _num(x: float | None) -> str:
    if x is None:
        return "none"
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:.4g}"


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def spec_data(inf: Inference, *, service: str, target: str | None = None, prediction: str | None = None) -> dict[str, Any]:
    """The inferred spec as plain data, with every human decision left as BLANK or empty."""
    from telltale.spec.model import BLANK

    data: dict[str, Any] = {
        "service": service,
        "owner": BLANK,
        "model_version": "unversioned",
        "owners": {"data": BLANK, "model": BLANK, "platform": BLANK},
        "inputs": {f.name: f.to_spec() for f in inf.inputs},
    }
    if inf.output is not None:
        out: dict[str, Any] = {"type": inf.output.type if inf.output.type in ("float", "int", "bool", "category", "string") else "float"}
        if inf.output.range is not None:
            out["range"] = list(inf.output.range)
        data["output"] = out
    data.update({"fallback": [], "slos": [], "rules": []})
    if target:
        data["target"] = target
    if prediction:
        data["prediction"] = prediction
    return data


def infer_spec(table: Any, *, service: str = "inferred", target: str | None = None, prediction: str | None = None) -> Any:
    """A :class:`~telltale.spec.ServiceSpec` inferred from a pyarrow Table (or a mapping
    of columns), e.g. for ``telltale report`` run without ``--spec``."""
    import pyarrow as pa

    from telltale.spec.load import spec_from_dict

    if not isinstance(table, pa.Table):
        table = pa.table({k: v for k, v in dict(table).items()})
    inf = infer(table, target=target, prediction=prediction)
    if not inf.inputs:
        raise DataError("no column can be an input (every column is the target, the prediction, or of an unsupported type)")
    return spec_from_dict(spec_data(inf, service=service, target=target, prediction=prediction), "<inferred>")
