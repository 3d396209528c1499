"""The two roles in recording: a ``Sink`` that stores batches, a ``Recorder`` that feeds it.

The guard only ever talks to a ``Recorder``: ``submit`` hands one record over and returns
at once. Where the record goes next (a store, a server, a spill file) is the recorder's
business, and every record it accepts ends up counted exactly once as written, spilled
(then replayed) or dropped with a reason: never lost silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from telltale.errors import StoreError
from telltale.types import PredictionRecord

#: Why a record can be dropped. Every drop is counted under one of these reasons.
DROP_REASONS: tuple[str, ...] = (
    "queue_full",    # the queue was at max_queue and the spill could not keep up
    "no_spill",      # the sink failed and no spill directory was configured
    "spill_error",   # the spill file could not be written (disk full, permissions)
    "spill_full",    # the spill directory reached max_spill_bytes
    "spill_corrupt", # a spilled line could not be read back (never a torn last line)
    "unserializable",  # the record could not be encoded as JSON for the spill
    "rejected",      # the destination refused the record itself (a per-record error): dead-lettered
    "killed",        # held in memory by a process that died without closing (counted by its successor)
    "closed",        # submitted after close()
)


class RetryLater(StoreError):
    """The destination refused the whole batch for now (busy, restarting): retry, not before
    ``retry_after_s`` seconds when it said so (an HTTP ``Retry-After``)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(slots=True, frozen=True)
class Rejection:
    """One record the destination refused for good, with the destination's reason."""

    record_id: str
    field: str | None
    reason: str


@dataclass(slots=True)
class SinkResult:
    """What a sink reports beyond "all stored": records refused for good, and duplicates."""

    rejected: list[Rejection] = field(default_factory=list)
    duplicates: int = 0
    warnings: int = 0  # keys the destination did not keep (unknown fields), records still stored


@runtime_checkable
class Sink(Protocol):
    """A destination for batches of records (a store, a server).

    ``write`` stores the batch or raises ``telltale.errors.StoreError`` when the
    destination is down or refuses the batch for a reason that may pass (the recorder
    spills and retries later). It may return a ``SinkResult`` naming records refused for
    good; ``None`` means every record is stored. Writing a record id twice must store it
    once: recorders deliver at least once.
    """

    def write(self, records: list[PredictionRecord]) -> SinkResult | None: ...


@dataclass(slots=True, frozen=True)
class RecorderStats:
    """A snapshot of a recorder's counters.

    Once a recorder is flushed, ``queued == written + spilled + dropped_total``: every
    record it accepted is in the sink, in the spill, or counted as dropped.
    ``replayed`` counts records moved from the spill into the sink (including spill left
    by an earlier process); ``spill_pending`` is how many spilled records still wait.
    ``dropped`` counts drops at every stage; ``replay_dropped`` is the part of it that hit
    records read back from the spill (refused or unreadable), which were already counted
    in ``spilled`` (or in an earlier process), so ``queued == written + spilled +
    dropped_total - replay_dropped`` holds exactly.
    """

    queued: int = 0
    written: int = 0
    spilled: int = 0
    replayed: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    replay_dropped: int = 0
    queue_depth: int = 0
    spill_pending: int = 0
    spill_bytes: int = 0
    sink_up: bool = True
    #: records the destination refused for good, also written to ``dead_letter_path``
    #: (JSON lines: the record, the field, the reason) for a person to inspect
    dead_lettered: int = 0
    dead_letter_path: str | None = None
    spill_dir: str | None = None
    #: records a previous process on the same spill directory held in memory when it
    #: died without closing (SIGKILL, power cut): lost, and counted here as far as its
    #: last checkpoint tells (``dropped["killed"]`` holds the same number)
    lost_by_dead_process: int = 0

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


@runtime_checkable
class Recorder(Protocol):
    """Takes records from the hot path and gets them stored without making the caller wait."""

    def submit(self, record: PredictionRecord) -> None:
        """Accept one record. Never blocks on I/O and never raises."""
        ...

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every record submitted so far is durable (stored or spilled).

        Returns False if ``timeout`` seconds passed first.
        """
        ...

    def close(self, timeout: float | None = None) -> None:
        """Flush, then stop; whatever could not be written goes to the spill."""
        ...

    @property
    def stats(self) -> RecorderStats: ...
