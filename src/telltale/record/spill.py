"""An append-only spill on local disk: records wait here while the sink is down.

The spill is a directory of segment files, each a run of JSON lines of
``PredictionRecord.to_dict()``. A batch is appended with one write and fsync'd before it
counts as spilled, so a process killed after that point loses nothing: the next recorder
to open the directory finds the segment and replays it. Segments are deleted only after
every record in them reached the sink.

Several processes may share one directory: the segment a process is writing is held
under an exclusive ``flock``, and a replayer only takes segments it can lock, so no
segment is read while it grows or replayed by two processes at once. A segment is
created under a temporary name and renamed once locked, so a replayer never sees it
unlocked. A torn last line (a kill in the middle of a write, before the fsync that would
have made it count) is skipped; any other unreadable line is counted as corrupt.

Replay progress is durable too: after each batch reaches the sink, the byte offset and
line count replayed so far are written beside the segment (``<segment>.progress``, one
small in-place write), so a replayer killed halfway leaves the next one to start where it
stopped rather than re-send the whole segment (the sink stores an id once either way:
this saves the traffic, not correctness). At most the one batch in flight is sent twice.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from telltale.clock import SYSTEM_CLOCK, Clock
from telltale.types import PredictionRecord

log = logging.getLogger("telltale.record")

_PREFIX = "seg-"
_SUFFIX = ".jsonl"
_PROGRESS = ".progress"


class SpillFull(OSError):
    """The spill directory holds ``max_spill_bytes`` already."""


@dataclass(slots=True)
class ReadBatch:
    """Records read from a segment, and how many lines in that stretch were unreadable."""

    records: list[PredictionRecord]
    corrupt: int


def encode(records: Iterable[PredictionRecord]) -> tuple[bytes, int, int]:
    """JSON lines for ``records``: (bytes, lines encoded, records that could not be)."""
    lines: list[bytes] = []
    bad = 0
    for r in records:
        try:
            lines.append(json.dumps(r.to_dict(), separators=(",", ":"), default=json_default).encode() + b"\n")
        except Exception as e:  # noqa: BLE001 (a circular structure in inputs, not a record at all, ...)
            bad += 1
            log.error("telltale: record %s cannot be written to the spill (%s); dropped as unserializable", getattr(r, "id", "?"), e)
    return b"".join(lines), len(lines), bad


def json_default(x: Any) -> Any:
    """NumPy scalars and arrays become numbers and lists, dates ISO strings, anything else its str."""
    if isinstance(x, (datetime, date)):
        return x.isoformat()
    tolist = getattr(x, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        return tolist()
    if isinstance(x, (set, frozenset, tuple)):
        return list(x)
    return str(x)


class SpillLog:
    """The segments in one directory: append batches, list, read back, delete."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        max_segment_bytes: int = 16 << 20,
        max_spill_bytes: int = 1 << 30,
        fsync: bool = True,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if max_segment_bytes <= 0:
            raise ValueError(f"max_segment_bytes must be > 0, got {max_segment_bytes}")
        if max_spill_bytes < max_segment_bytes:
            raise ValueError(f"max_spill_bytes ({max_spill_bytes}) must be >= max_segment_bytes ({max_segment_bytes})")
        self.directory = Path(directory)  # created on the first spill, not before
        self._max_segment = max_segment_bytes
        self._max_total = max_spill_bytes
        self._fsync = fsync
        self._clock = clock
        self._seq = 0
        self._fd: int | None = None  # the active segment, locked by us
        self._active: Path | None = None
        self._active_size = 0
        self._active_lines = 0
        self._known: dict[str, int] = {}  # segment name -> lines not yet replayed (our estimate)
        self._offsets: dict[str, tuple[int, int]] = {}  # segment name -> (byte offset, lines) replayed so far
        #: Records on disk not yet replayed (the active segment included). A plain int,
        #: recomputed by the one thread that changes the spill, so other threads may read it.
        self.pending = 0
        self.bytes = 0
        self.rescan()

    # -- writing ---------------------------------------------------------------------

    def append(self, data: bytes, lines: int) -> None:
        """Append encoded lines as one write and fsync; raise OSError if that failed."""
        if not data:
            return
        if self.bytes + len(data) > self._max_total:
            raise SpillFull(f"spill directory {self.directory} holds {self.bytes} bytes, the limit max_spill_bytes is {self._max_total}")
        if self._fd is not None and self._active_size + len(data) > self._max_segment:
            self.rotate()
        fd = self._fd if self._fd is not None else self._open_segment()
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            if self._fsync:
                os.fsync(fd)
        except OSError:
            try:  # cut the torn tail off so later batches start on a clean line
                os.ftruncate(fd, self._active_size)
            except OSError:
                pass
            self.rotate()
            raise
        self._active_size += len(data)
        self._active_lines += lines
        self.pending += lines
        self.bytes += len(data)

    def rotate(self) -> None:
        """Close the active segment so it becomes replayable (deleted if empty)."""
        if self._fd is None or self._active is None:
            return
        name = self._active.name
        try:
            if self._active_size == 0:
                self._active.unlink(missing_ok=True)
            else:
                self._known[name] = self._active_lines
        finally:
            os.close(self._fd)  # releases the flock
            self._fd = None
            self._active = None
            self._active_size = 0
            self._active_lines = 0

    def _open_segment(self) -> int:
        self._seq += 1
        stem = f"{_PREFIX}{int(self._clock.now() * 1e6):020d}-{os.getpid()}-{self._seq:06d}"
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / f".{stem}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            final = self.directory / f"{stem}{_SUFFIX}"
            os.rename(tmp, final)
            if self._fsync:
                _fsync_dir(self.directory)  # the new name survives a power cut, not just a kill
        except OSError:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        self._fd, self._active, self._active_size, self._active_lines = fd, final, 0, 0
        return fd

    # -- reading back ----------------------------------------------------------------

    def rescan(self) -> None:
        """Find segments on disk (ours or left by another process) and size them."""
        total = self._active_size
        known: dict[str, int] = {}
        for tmp in self.directory.glob(f".{_PREFIX}*.tmp"):
            _remove_if_abandoned(tmp)
        for p in self.directory.glob(f"{_PREFIX}*{_SUFFIX}"):
            if self._active is not None and p.name == self._active.name:
                continue
            try:
                size = p.stat().st_size
            except FileNotFoundError:
                continue
            total += size
            if p.name in self._known:
                known[p.name] = self._known[p.name]
            else:
                known[p.name] = _count_lines(p)
                if p.name not in self._offsets:
                    done = read_progress(p)
                    if done is not None:
                        self._offsets[p.name] = done
        for prog in self.directory.glob(f"{_PREFIX}*{_SUFFIX}{_PROGRESS}"):
            if prog.name[: -len(_PROGRESS)] not in known and not prog.with_suffix("").exists():
                prog.unlink(missing_ok=True)  # its segment was replayed and deleted
        self._known = known
        self._offsets = {k: v for k, v in self._offsets.items() if k in known}
        self._recount()
        self.bytes = total

    def _recount(self) -> None:
        done = sum(lines for _, lines in self._offsets.values())
        self.pending = max(0, sum(self._known.values()) + self._active_lines - done)

    @property
    def has_closed_segments(self) -> bool:
        return bool(self._known)

    @property
    def active_lines(self) -> int:
        return self._active_lines

    def segments(self) -> list[Path]:
        """Closed segments, oldest first (names sort by creation time)."""
        return sorted((self.directory / n for n in self._known), key=lambda p: p.name)

    def open_reader(self, path: Path) -> SegmentReader | None:
        """Lock ``path`` for replay, or None if another process holds it or it is gone."""
        try:
            f = open(path, "rb")  # noqa: SIM115 (held by the reader until it closes)
        except FileNotFoundError:
            self._forget(path.name)
            return None
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            return None
        if os.fstat(f.fileno()).st_nlink == 0:  # replayed and deleted by another process meanwhile
            f.close()
            self._forget(path.name)
            return None
        offset, lines = self._offsets.get(path.name) or read_progress(path) or (0, 0)
        f.seek(offset)
        return SegmentReader(self, path, f, offset, lines)

    def _forget(self, name: str) -> None:
        self._known.pop(name, None)
        self._offsets.pop(name, None)
        self._recount()

    def _done(self, path: Path, size: int) -> None:
        path.unlink(missing_ok=True)
        _progress_path(path).unlink(missing_ok=True)
        self._forget(path.name)
        self.bytes = max(0, self.bytes - size)

    def close(self) -> None:
        self.rotate()


class SegmentReader:
    """Reads one locked segment in batches; ``commit`` marks a batch replayed."""

    def __init__(self, log_: SpillLog, path: Path, f: Any, offset: int, lines: int) -> None:
        self._log, self.path, self._f = log_, path, f
        self._committed, self._lines = offset, lines
        self._pos, self._pending_lines = offset, 0

    def read(self, n: int) -> ReadBatch | None:
        """Up to ``n`` records after the last committed batch; None at the end."""
        self._f.seek(self._committed)
        records: list[PredictionRecord] = []
        corrupt = read = 0
        while len(records) < n:
            line = self._f.readline()
            if not line:
                break
            if not line.endswith(b"\n"):  # torn tail: never fsync'd, never counted as spilled
                log.warning("telltale: skipping a torn last line in spill segment %s (%d bytes)", self.path, len(line))
                self._f.seek(0, os.SEEK_END)
                break
            read += 1
            try:
                records.append(PredictionRecord.from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError) as e:
                corrupt += 1
                log.error("telltale: unreadable line in spill segment %s (%s); counted as dropped (spill_corrupt)", self.path, e)
        self._pos, self._pending_lines = self._f.tell(), read
        if read == 0 and not records:
            return None
        return ReadBatch(records, corrupt)

    def commit(self) -> None:
        self._committed, self._lines = self._pos, self._lines + self._pending_lines
        self._pending_lines = 0
        self._log._offsets[self.path.name] = (self._committed, self._lines)
        self._log._recount()
        write_progress(self.path, self._committed, self._lines)

    def finish(self) -> None:
        """Everything in the segment reached the sink: delete it."""
        size = os.fstat(self._f.fileno()).st_size
        self._log._done(self.path, size)
        self.close()

    def close(self) -> None:
        self._f.close()


def _progress_path(segment: Path) -> Path:
    return segment.with_name(segment.name + _PROGRESS)


def write_progress(segment: Path, offset: int, lines: int) -> None:
    """Record that ``segment`` is replayed up to ``offset`` bytes (``lines`` records).

    One fixed-width in-place write: a kill never leaves a half-written number that
    parses. Best effort: a failure only means the next replayer re-sends more.
    """
    try:
        fd = os.open(_progress_path(segment), os.O_WRONLY | os.O_CREAT, 0o600)
    except OSError:
        return
    try:
        os.pwrite(fd, f"{offset:020d} {lines:020d}\n".encode(), 0)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_progress(segment: Path) -> tuple[int, int] | None:
    """(offset, lines) replayed of ``segment`` by an earlier replayer, or None."""
    try:
        text = _progress_path(segment).read_text()
    except (OSError, UnicodeDecodeError):
        return None
    parts = text.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    offset, lines = int(parts[0]), int(parts[1])
    try:
        if offset > segment.stat().st_size:
            return None
    except OSError:
        return None
    return offset, lines


def _count_lines(path: Path) -> int:
    n = 0
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                n += chunk.count(b"\n")
    except FileNotFoundError:
        return 0
    return n


def _remove_if_abandoned(tmp: Path) -> None:
    """A temporary segment name left by a process killed between create and rename is empty.

    Only a dead process's: a live one may be between its create and its lock.
    """
    try:
        pid = int(tmp.name.split("-")[2])
    except (IndexError, ValueError):
        return
    if _alive(pid):
        return
    try:
        fd = os.open(tmp, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(fd).st_size == 0:
            tmp.unlink(missing_ok=True)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
