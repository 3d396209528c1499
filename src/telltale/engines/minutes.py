"""Minute profiles of past traffic: each piece's rows grouped by the minute of a timestamp
column and profiled per minute, for ``telltale backfill``.

A piece's task (``minute_piece``, run on any engine) reads the piece, drops the rows
whose timestamp is null or not finite (counted), groups the rest by (model version,
minute) and profiles each group with ``Profile.from_columns``, the rows kept in file
order; what travels back is (model version, minute, n, profile bytes) per group.
``profile_minutes`` merges each minute's parts in piece order (``Profile.merge_all``),
so the same files give the same minute profiles, byte for byte, on every engine and
every run.

The timestamp column may be an Arrow timestamp of any unit (with a time zone, or
without one: then read as UTC), or numbers of epoch seconds (integers or floats).
Strings, dates and durations are refused with the fix; so is a number beyond the year
2500 (epoch milliseconds, most likely). The timestamp and model-version columns are
not profiled as inputs unless the spec declares them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from telltale.engines import EngineOptions, run_pieces
from telltale.engines.pieces import Piece, _spec, pieces_of, read_piece
from telltale.infer import DataError

#: A model version is stored in a column of this many characters (``tt_minute_profiles``).
MAX_VERSION_LEN = 128
#: Year 2500: a larger epoch-seconds value is a unit mistake (the record path's limit too).
MAX_TS = 16_725_225_600.0
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


@dataclass(frozen=True, slots=True)
class MinutePart:
    """One minute's rows of one piece (of one model version), profiled: what a task sends back."""

    model_version: str
    minute: int
    n: int
    data: bytes


@dataclass(frozen=True, slots=True)
class PieceMinutes:
    """A piece's minute parts in (model version, minute) order, its rows, and the rows
    skipped for a null or non-finite timestamp."""

    parts: tuple[MinutePart, ...]
    rows: int
    skipped: int


@dataclass(frozen=True, slots=True)
class MinuteProfile:
    """The profile (as bytes: what the store keeps) of every row of one minute (epoch
    seconds of its start) and model version."""

    model_version: str
    minute: int
    n: int
    data: bytes

    @property
    def profile(self) -> Any:  # telltale.profile.Profile
        from telltale.profile import Profile

        return Profile.from_bytes(self.data)


@dataclass(frozen=True, slots=True)
class MinuteRun:
    """Minute profiles of some files, in (minute, model version) order, and how they were made."""

    minutes: list[MinuteProfile]
    pieces: int
    rows: int
    skipped: int
    seconds: float
    engine: str

    @property
    def profiled(self) -> int:
        """Rows in the minute profiles (those with a usable timestamp)."""
        return self.rows - self.skipped


def minute_piece(piece: Piece, spec_json: str, ts_column: str, version_column: str | None = None,
                 model_version: str = "") -> PieceMinutes:
    """The minute parts of one piece (a picklable task for ``run_pieces``)."""
    import numpy as np
    import pyarrow as pa

    from telltale.profile import Profile

    spec = _spec(spec_json)
    table = read_piece(piece)
    where = f"{piece.path}" + ("" if piece.row_group is None else f" (row group {piece.row_group})")
    if ts_column not in table.column_names:
        raise DataError(f"{where}: no column {ts_column!r} for --ts-column; columns are {', '.join(table.column_names)}")
    minutes, ok = minutes_of(table.column(ts_column), ts_column, where)
    if version_column is not None:
        if version_column not in table.column_names:
            raise DataError(f"{where}: no column {version_column!r} for --model-version-column")
        versions = _versions(table.column(version_column), version_column, where)
    else:
        versions = [model_version]
    rows = table.num_rows
    valid = np.flatnonzero(ok)
    drop = [c for c in dict.fromkeys((ts_column, version_column)) if c is not None and c not in spec.inputs]
    table = table.drop_columns(drop)
    codes = np.zeros(valid.size, dtype=np.int64)
    names = versions
    if version_column is not None:
        uniq, inverse = np.unique(np.asarray(versions, dtype=object)[valid].astype(str), return_inverse=True)
        names = [str(x) for x in uniq]
        codes = inverse.astype(np.int64)
    mins = minutes[valid]
    order = np.lexsort((mins, codes))  # stable: a group's rows keep file order
    keys_c, keys_m = codes[order], mins[order]
    cuts = np.flatnonzero((np.diff(keys_c) != 0) | (np.diff(keys_m) != 0)) + 1
    parts = []
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, order.size], strict=True):
        if a == b:
            continue
        idx = valid[order[a:b]]
        sub = table.take(pa.array(idx))
        parts.append(MinutePart(names[int(keys_c[a])], int(keys_m[a]), int(b - a), Profile.from_columns(spec, sub).to_bytes()))
    return PieceMinutes(tuple(parts), rows, int(rows - valid.size))


def minutes_of(column: Any, name: str, where: str) -> tuple[Any, Any]:
    """(minute start in epoch seconds as int64, usable mask) of a timestamp column."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    col = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    t = col.type
    if pa.types.is_timestamp(t):
        ok = col.is_valid().to_numpy(zero_copy_only=False)
        raw = col.cast(pa.int64()).fill_null(0).to_numpy()
        per_minute = 60 * _PER_SECOND[t.unit]
        minutes = np.floor_divide(raw, per_minute) * 60
        secs = raw / _PER_SECOND[t.unit]
    elif pa.types.is_integer(t) or pa.types.is_floating(t):
        secs = pc.cast(col, pa.float64()).fill_null(math.nan).to_numpy()
        ok = np.isfinite(secs)
        minutes = (np.floor(np.where(ok, secs, 0.0) / 60.0) * 60).astype(np.int64)
    else:
        raise DataError(f"{where}: column {name!r} is {t}, not a timestamp; --ts-column takes an Arrow timestamp "
                        "(naive ones are read as UTC) or numbers of epoch seconds: convert it first "
                        "(e.g. pyarrow.compute.strptime, or pandas.to_datetime)")
    far = np.flatnonzero(ok & (np.abs(np.where(ok, secs, 0.0)) > MAX_TS))
    if far.size:
        i = int(far[0])
        raise DataError(f"{where}: column {name!r} row {i} is {float(secs[i])!r}, beyond the year 2500 as epoch seconds "
                        "(epoch milliseconds? divide by 1000)")
    return minutes, ok


def _versions(column: Any, name: str, where: str) -> list[str]:
    values = ["" if v is None else str(v) for v in column.to_pylist()]
    for i, v in enumerate(values):
        if len(v) > MAX_VERSION_LEN or "\x00" in v:
            raise DataError(f"{where}: column {name!r} row {i} is {v!r:.60}: a model version must be at most "
                            f"{MAX_VERSION_LEN} characters without NUL")
    return values


def profile_minutes(paths: Sequence[str | Path], spec: Any, *, ts_column: str, version_column: str | None = None,
                    model_version: str = "", engine: str = "local", options: EngineOptions | None = None) -> MinuteRun:
    """Minute profiles of every row of ``paths`` under ``spec``, each minute's parts merged in piece order."""
    import time

    from telltale.profile import Profile

    if len(model_version) > MAX_VERSION_LEN:
        raise ValueError(f"model version must be at most {MAX_VERSION_LEN} characters, got {len(model_version)}")
    pieces = pieces_of(paths)
    t0 = time.perf_counter()
    task = partial(minute_piece, spec_json=spec.model_dump_json(), ts_column=ts_column, version_column=version_column,
                   model_version=model_version)
    results: list[PieceMinutes] = run_pieces(pieces, task, engine=engine, options=options)
    grouped: dict[tuple[int, str], list[MinutePart]] = defaultdict(list)
    for res in results:  # piece order
        for part in res.parts:
            grouped[(part.minute, part.model_version)].append(part)
    minutes = []
    for (minute, version), ps in sorted(grouped.items()):
        if len(ps) == 1:  # the usual case for logs in time order: no decode, no second encode
            data = ps[0].data
        else:
            merged = Profile.merge_all(Profile.from_bytes(p.data) for p in ps)
            assert merged is not None  # every group has a part
            data = merged.to_bytes()
        minutes.append(MinuteProfile(version, minute, sum(p.n for p in ps), data))
    return MinuteRun(minutes, len(pieces), sum(r.rows for r in results), sum(r.skipped for r in results),
                     time.perf_counter() - t0, engine)
