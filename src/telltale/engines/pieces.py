"""The unit of work every engine shares: a piece of one input file, profiled on its own.

A Parquet file's pieces are its row groups (the writer's own split, readable without the
rest of the file); a CSV file is one piece (it has no index to seek by). Pieces are
listed in path order, then row-group order, so their order is the same wherever they run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telltale.infer import DataError


@dataclass(frozen=True, slots=True)
class Piece:
    """Row group ``row_group`` of ``path`` (None: the whole file), with its row count if known."""

    path: str
    row_group: int | None
    rows: int | None = None


def pieces_of(paths: Sequence[str | Path]) -> list[Piece]:
    """Every piece of ``paths`` (files, or directories of ``*.parquet`` files), in order."""
    import pyarrow.parquet as pq

    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(p.glob("*.parquet"))
            if not found:
                raise DataError(f"{p}: a directory with no .parquet files")
            files.extend(found)
        elif not p.exists():
            raise DataError(f"{p}: file not found")
        else:
            files.append(p)
    if not files:
        raise DataError("no input files given")
    out: list[Piece] = []
    for f in files:
        kind = _kind(f)
        if kind == "csv":
            out.append(Piece(str(f), None))
            continue
        try:
            meta = pq.ParquetFile(f).metadata
        except Exception as e:  # pyarrow raises several types for a corrupt footer
            raise DataError(f"{f}: cannot be read as Parquet: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
        out.extend(Piece(str(f), i, meta.row_group(i).num_rows) for i in range(meta.num_row_groups))
    return out


def read_piece(piece: Piece) -> Any:
    """The rows of one piece as a pyarrow Table."""
    import pyarrow.parquet as pq

    from telltale.infer import read_table

    if piece.row_group is None:
        return read_table(piece.path)
    with pq.ParquetFile(piece.path) as f:
        return f.read_row_group(piece.row_group, use_threads=False)


def profile_piece(piece: Piece, spec_json: str) -> bytes:
    """One piece's profile as bytes: what travels back from a worker."""
    from telltale.profile import Profile

    return Profile.from_columns(_spec(spec_json), read_piece(piece)).to_bytes()


def _spec(spec_json: str) -> Any:
    from telltale.spec import ServiceSpec

    return ServiceSpec.model_validate_json(spec_json)


def _kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if ".parquet" in suffixes or ".pq" in suffixes:
        return "parquet"
    if ".csv" in suffixes or ".tsv" in suffixes:
        return "csv"
    raise DataError(f"{path}: unknown format {path.suffix or '(no suffix)'!r}; use .parquet or .csv files")
