"""``recorder_for(target)``: a background recorder for a store URL or a server URL.

By default records that cannot be written right away spill to disk, so that nothing is
lost while the destination is down: next to a SQLite file (``<file>.spill/``), or under
``$TELLTALE_SPILL_DIR`` / ``$XDG_STATE_HOME/telltale/spill`` / ``~/.local/state/telltale/spill``
for a server or PostgreSQL, in a directory named for the target and project. Several
processes recording to the same target share that directory safely, and whichever
starts next replays what a dead one left.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from telltale.extras import require
from telltale.record.background import BackgroundRecorder
from telltale.record.memory import MemoryRecorder
from telltale.record.sinks import HttpSink, StoreSink, _safe


class _Auto:
    def __repr__(self) -> str:
        return "AUTO"


#: ``spill_dir=AUTO`` (the default) picks the directory described in the module docstring.
AUTO: Any = _Auto()


def recorder_for(
    target: str,
    *,
    project: str = "default",
    token: str | None = None,
    spill_dir: str | os.PathLike[str] | None = AUTO,
    **options: Any,
) -> BackgroundRecorder | MemoryRecorder:
    """A recorder writing to ``target``: ``sqlite:///path``, ``postgresql+psycopg://...``,
    ``http(s)://host:port`` (a telltale server; ``token`` or ``$TELLTALE_TOKEN``), or
    ``memory://`` (a ``MemoryRecorder``, for tests).

    ``spill_dir=None`` turns the spill off (records that cannot be written are dropped
    and counted); ``options`` go to ``BackgroundRecorder`` (``max_queue``,
    ``batch_size``, ``flush_interval_s``, ...).
    """
    if not isinstance(target, str) or not target:
        raise ValueError(f"record target must be a URL string, got {target!r}")
    if target.startswith("memory://"):
        return MemoryRecorder()
    sink: StoreSink | HttpSink
    if target.startswith(("http://", "https://")):
        token = token or os.environ.get("TELLTALE_TOKEN")
        if not token:
            raise ValueError(
                f"recording to the server {target} needs a bearer token: pass token=... or set TELLTALE_TOKEN "
                "(create one with `telltale token create --project P`)"
            )
        sink = HttpSink(target, token)
    elif target.startswith(("sqlite:", "postgresql")):
        if target.startswith("postgresql"):
            require("postgres", what=f"recording to {_safe(target)}")
        sink = StoreSink(target, project)
    else:
        raise ValueError(
            f"record target {_safe(target)!r} is not supported: use sqlite:///path, "
            "postgresql+psycopg://user@host/db, http(s)://host:port or memory://"
        )
    if spill_dir is AUTO:
        spill_dir = default_spill_dir(target, project)
    return BackgroundRecorder(sink, spill_dir=spill_dir, **options)


def default_spill_dir(target: str, project: str = "default") -> Path:
    """Where ``recorder_for`` spills for ``target`` unless told otherwise."""
    m = re.match(r"sqlite:///(?!:memory:)(.+)$", target)
    if m and "?" not in m.group(1):
        return Path(m.group(1) + ".spill") / _slug(project)
    base = os.environ.get("TELLTALE_SPILL_DIR")
    if base:
        root = Path(base)
    else:
        state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        root = Path(state) / "telltale" / "spill"
    digest = hashlib.sha256(f"{_safe(target)}|{project}".encode()).hexdigest()[:12]
    host = re.sub(r"[^A-Za-z0-9.-]+", "_", target.split("://", 1)[-1].split("@")[-1].split("/")[0])[:40]
    return root / f"{host}-{_slug(project)}-{digest}"


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s)[:64] or "_"
