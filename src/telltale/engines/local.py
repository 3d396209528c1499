"""The ``local`` engine: pieces profiled one after another in this process.

Memory holds one piece (a row group) and the running partial profiles at a time, so a
file far larger than memory profiles on one machine; time grows linearly with rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from telltale.engines.pieces import Piece, profile_piece


def run(pieces: Sequence[Piece], spec_json: str, options: object) -> list[bytes]:
    progress = getattr(options, "progress", None)
    out: list[bytes] = []
    for i, piece in enumerate(pieces):
        out.append(profile_piece(piece, spec_json))
        if progress is not None:
            progress(i + 1, len(pieces))
    return out
