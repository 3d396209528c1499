"""Profiles of data too large for one read: the same profile, built on an existing engine.

``profile_files(paths, spec, engine=...)`` splits the input into pieces (a Parquet row
group, or a whole CSV file), profiles each piece on its own and merges the partial
profiles in piece order, so every engine builds the same profile, byte for byte. The
engines are thin: ``local`` streams the pieces in this process in bounded memory,
``dask`` maps them over a Dask cluster (a local one by default), ``spark`` over PySpark
partitions (local mode by default). Nothing here is home-made cluster code.

An engine runs any per-piece task (``run_pieces``): ``profile_files`` runs
``pieces.profile_piece``; ``telltale backfill`` runs ``minutes.minute_piece``, which
profiles each minute of a piece's rows for the store (``engines/minutes.py``).

>>> sorted(ENGINES)
['dask', 'local', 'spark']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from telltale.engines.pieces import Piece, pieces_of, profile_piece

#: Engine name -> the module that runs it (imported only when chosen: Dask and PySpark are extras).
ENGINES: dict[str, str] = {
    "local": "telltale.engines.local",
    "dask": "telltale.engines.dask",
    "spark": "telltale.engines.spark",
}


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """How an engine runs: ``workers`` processes (or Spark cores); ``address`` of an
    existing Dask scheduler or Spark master instead of a local one; ``progress`` is called
    with (pieces done, pieces in all)."""

    workers: int = 2
    address: str | None = None
    progress: Callable[[int, int], None] | None = None


@dataclass(frozen=True, slots=True)
class ProfileRun:
    """A finished profile and how it was made."""

    profile: Any  # telltale.profile.Profile
    pieces: int
    rows: int
    seconds: float
    engine: str


def profile_files(paths: Sequence[str | Path], spec: Any, *, engine: str = "local",
                  options: EngineOptions | None = None) -> ProfileRun:
    """The profile of every row of ``paths`` (Parquet or CSV files) under ``spec``."""
    import time

    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(sorted(ENGINES))}, got {engine!r}")
    opts = options or EngineOptions()
    if opts.workers < 1:
        raise ValueError(f"workers must be at least 1, got {opts.workers}")
    pieces = pieces_of(paths)
    t0 = time.perf_counter()
    partials = run_pieces(pieces, partial(profile_piece, spec_json=spec.model_dump_json()), engine=engine, options=opts)
    profile = merge_in_order(partials)
    return ProfileRun(profile, len(pieces), profile.n, time.perf_counter() - t0, engine)


def run_pieces(pieces: Sequence[Piece], task: Callable[[Piece], Any], *, engine: str = "local",
               options: EngineOptions | None = None) -> list[Any]:
    """``task(piece)`` for every piece on ``engine``, the results in piece order. ``task``
    must pickle (a ``functools.partial`` of a module-level function does) and its result
    too: Dask and Spark run it in other processes."""
    import importlib

    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(sorted(ENGINES))}, got {engine!r}")
    opts = options or EngineOptions()
    if opts.workers < 1:
        raise ValueError(f"workers must be at least 1, got {opts.workers}")
    module = importlib.import_module(ENGINES[engine])
    results: list[Any] = module.run(pieces, task, opts)
    return results


def merge_in_order(partials: Sequence[bytes]) -> Any:
    """Merge partial profiles (bytes, in piece order) with the deterministic merge every
    query uses (``Profile.merge_all``): the same pieces give the same profile, byte for
    byte, on every engine and every run (each piece's quantiles are built
    deterministically from its sorted values, too)."""
    from telltale.profile import Profile

    merged = Profile.merge_all(Profile.from_bytes(b) for b in partials)
    if merged is None:
        raise ValueError("no pieces to profile")
    return merged


__all__ = ["ENGINES", "EngineOptions", "Piece", "ProfileRun", "merge_in_order", "pieces_of", "profile_files", "run_pieces"]
