"""The ``local`` engine: pieces run one after another in this process.

Memory holds one piece (a row group) and the running partial results at a time, so a
file far larger than memory profiles on one machine; time grows linearly with rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from telltale.engines.pieces import Piece


def run(pieces: Sequence[Piece], task: Callable[[Piece], Any], options: object) -> list[Any]:
    progress = getattr(options, "progress", None)
    out: list[Any] = []
    for i, piece in enumerate(pieces):
        out.append(task(piece))
        if progress is not None:
            progress(i + 1, len(pieces))
    return out
