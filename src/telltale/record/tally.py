"""How many records a recorder holds in memory, on disk, so its successor can count a kill.

A process killed with SIGKILL loses what its recorder held in memory (the queue and the
batch in flight): nothing it can do about that, and nothing it can count itself. So
each recorder with a spill directory keeps a tiny file there, ``.held-<pid>-<n>``,
locked with ``flock`` while the process lives, holding the number of records it has
accepted but not yet written, spilled or dropped, rewritten in place every writer loop
(a pwrite of a few bytes; no fsync: a kill keeps the page cache). A clean ``close()``
deletes it. The next recorder to open the directory takes the locks of dead processes'
files (the kernel releases a dead process's locks, so a reused pid cannot fool it),
counts what they held as ``dropped["killed"]`` and logs it. The count is the last
checkpoint: exact to within one writer loop (``flush_interval_s``).
"""

from __future__ import annotations

import fcntl
import itertools
import logging
import os
from pathlib import Path

log = logging.getLogger("telltale.record")

_PREFIX = ".held-"
_WIDTH = 20
_seq = itertools.count(1)


class HeldTally:
    """This process's checkpoint file in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._fd: int | None = None
        self._last = -1
        self._made: list[Path] = []  # directories created for the file, removed on close if still empty
        self._warned = False
        self.path = directory / f"{_PREFIX}{os.getpid()}-{next(_seq)}"

    def update(self, held: int) -> None:
        if held == self._last:
            return
        try:
            if self._fd is None:
                if held == 0:
                    return
                d = self.directory
                while not d.exists():
                    self._made.append(d)
                    d = d.parent
                self.directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
            os.pwrite(self._fd, f"{held:0{_WIDTH}d}\n".encode(), 0)
            self._last = held
        except OSError as e:  # a checkpoint is best effort: recording must not fail for it
            if not self._warned:  # said once: a SIGKILL would then lose the held records uncounted
                self._warned = True
                log.warning("telltale: cannot checkpoint the held-record count in %s (%s); a killed process's "
                            "queued records would go uncounted", self.path, e)

    def close(self) -> None:
        if self._fd is not None:
            self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = None
        for d in self._made:  # innermost first
            try:
                d.rmdir()
            except OSError:
                break  # not empty: the spill or another process uses it


def collect_dead(directory: Path) -> int:
    """Records held by dead processes' recorders in ``directory``; their files are removed."""
    total = 0
    try:
        paths = list(directory.glob(f"{_PREFIX}*"))
    except OSError:
        return 0
    for p in paths:
        try:
            fd = os.open(p, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # alive
        try:
            text = os.pread(fd, _WIDTH + 1, 0).decode(errors="replace").strip()
            held = int(text) if text.isdigit() else 0
            if held:
                log.error("telltale: a recorder that died without closing (%s) held %d records in memory; "
                          "they are lost and counted as dropped (killed)", p.name, held)
            total += held
            p.unlink(missing_ok=True)
        finally:
            os.close(fd)
    return total
