"""A feedback client for a process other than the guard's (a labelling job, a CRM hook).

>>> from telltale.store import Store
>>> store = Store.open("sqlite://")
>>> fb = connect(store)
>>> fb.send("eta", "rec-1", label=31.5, action="corrected", value=31.5, ts=1_767_225_600.0).pending
1
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from telltale.clock import SYSTEM_CLOCK, Clock
from telltale.feedback.event import FeedbackEvent
from telltale.feedback.sinks import FeedbackHttpSink, FeedbackStoreSink

if TYPE_CHECKING:
    from telltale.store import Store


class FeedbackClient:
    """Sends feedback synchronously and returns what the destination did with it.

    ``target`` is an open ``Store``, a store URL (``sqlite:///...``, ``postgresql+psycopg://...``)
    or a telltale server URL (``http(s)://...``, with ``token`` or ``$TELLTALE_TOKEN``).
    """

    def __init__(self, target: Store | str, *, project: str = "default", token: str | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        if isinstance(target, str) and target.startswith(("http://", "https://")):
            self._sink: FeedbackStoreSink | FeedbackHttpSink = FeedbackHttpSink(target, token or os.environ.get("TELLTALE_TOKEN") or "")
        elif isinstance(target, str) and not target.startswith(("sqlite:", "postgresql")):
            raise ValueError(f"feedback target {target!r} is not supported: use a Store, sqlite:///path, postgresql+psycopg://... or http(s)://host:port")
        else:
            self._sink = FeedbackStoreSink(target, project)

    def send(self, service: str, prediction_id: str, *, label: Any = None, action: str | None = None, value: Any = None,
             actor: str | None = None, ts: float | None = None, key: str = "") -> Any:
        """One event; see :class:`FeedbackEvent` for the fields."""
        return self.send_many([FeedbackEvent(prediction_id, service, self._clock.now() if ts is None else ts, label, action, value, actor, key)])

    def send_many(self, events: Iterable[FeedbackEvent]) -> Any:
        """A batch; the store's ``FeedbackResult`` or the server's JSON answer."""
        return self._sink.send(list(events))

    def close(self) -> None:
        self._sink.close()

    def __enter__(self) -> FeedbackClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def connect(target: Store | str, *, project: str = "default", token: str | None = None, clock: Clock = SYSTEM_CLOCK) -> FeedbackClient:
    """``telltale.feedback.connect(url, token=...)``: a :class:`FeedbackClient`."""
    return FeedbackClient(target, project=project, token=token, clock=clock)
