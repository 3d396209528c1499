"""The dead-letter file: records the destination refused for good, kept for a person.

A record a server or store cannot take (a value past a limit, a lone surrogate, a
field of the wrong type) is never retried: retrying would hold up every good record
behind it. It is counted as dropped (``rejected``) and appended here, one JSON line per
record: ``{"at", "field", "reason", "record"}``, so it can be inspected, fixed and sent
again (``jq .record dead-letter.jsonl``). The file is bounded (``max_bytes``); past it,
refused records are still counted, and logged, but not kept.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from telltale.record.base import Rejection
from telltale.record.spill import json_default
from telltale.types import PredictionRecord

log = logging.getLogger("telltale.record")


class DeadLetter:
    """Appends refused records to ``path`` (JSON lines), at most ``max_bytes`` in all."""

    def __init__(self, path: str | os.PathLike[str], *, max_bytes: int = 64 << 20) -> None:
        self.path = Path(path)
        self._max = max_bytes
        self._told = False
        self.written = 0

    def add(self, records: Sequence[PredictionRecord], refused: Sequence[Rejection], now: float) -> int:
        """Write the refused records (found by id in ``records``); return how many were kept."""
        by_id: dict[str, PredictionRecord] = {}
        for r in records:
            by_id.setdefault(r.id, r)
        lines = []
        for rj in refused:
            rec = by_id.get(rj.record_id)
            body = rec.to_dict() if rec is not None else {"id": rj.record_id}
            try:
                line = json.dumps({"at": now, "field": rj.field, "reason": rj.reason, "record": body},
                                  default=json_default, allow_nan=True)
            except (TypeError, ValueError) as e:
                line = json.dumps({"at": now, "field": rj.field, "reason": rj.reason, "record": {"id": rj.record_id},
                                   "unserializable": str(e)})
            lines.append(line.encode("utf-8", "backslashreplace") + b"\n")
        data = b"".join(lines)
        try:
            size = self.path.stat().st_size if self.path.exists() else 0
            if size + len(data) > self._max:
                log.error("telltale: dead-letter file %s is full (%d bytes, max_bytes %d): %d refused records counted, not kept",
                          self.path, size, self._max, len(lines))
                return 0
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab") as f:
                f.write(data)
        except OSError as e:
            log.error("telltale: cannot write the dead-letter file %s (%s): %d refused records counted, not kept", self.path, e, len(lines))
            return 0
        if not self._told:
            self._told = True
            log.warning("telltale: refused records are kept in the dead-letter file %s (one JSON line each)", self.path)
        self.written += len(lines)
        return len(lines)
