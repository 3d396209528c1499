"""Where feedback goes: a store, or a telltale server over HTTP.

Both are sinks in the recorder's sense (``write(batch)``; ``StoreError`` when the
destination is down), so the guard sends feedback through the same background recorder
that carries its records, off the hot path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from telltale.errors import StoreError
from telltale.feedback.event import FeedbackEvent
from telltale.record.base import Rejection, SinkResult

if TYPE_CHECKING:
    import httpx

    from telltale.store import Store
    from telltale.store._feedback import FeedbackResult


class FeedbackStoreSink:
    """Writes feedback with ``Store.write_feedback``; ``store`` is a Store or a URL opened on first use."""

    def __init__(self, store: Store | str, project: str = "default") -> None:
        self.project = project
        self._url = store if isinstance(store, str) else None
        self._store = None if isinstance(store, str) else store

    def send(self, events: list[FeedbackEvent]) -> FeedbackResult:
        if self._store is None:
            from telltale.store import Store

            self._store = Store.open(self._url or "")
        return self._store.write_feedback(self.project, events)

    def write(self, events: list[FeedbackEvent]) -> SinkResult | None:
        res = self.send(events)
        return SinkResult(duplicates=res.duplicates) if res.duplicates else None

    def close(self) -> None:
        if self._url is not None and self._store is not None:
            self._store.close()
            self._store = None


class FeedbackHttpSink:
    """POSTs feedback to ``/v1/services/{service}/feedback`` in chunks of ``max_batch``."""

    def __init__(self, base_url: str, token: str, *, timeout_s: float = 8.0, max_batch: int = 1000,
                 client_factory: Callable[[], httpx.Client] | None = None) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"feedback server URL must start with http:// or https://, got {base_url!r}")
        if not token:
            raise ValueError("sending feedback to a server needs a bearer token: create one with `telltale token create --project P`")
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout, self._max_batch, self._factory = timeout_s, max_batch, client_factory
        self._client: httpx.Client | None = None

    def send(self, events: list[FeedbackEvent]) -> dict[str, Any]:
        """POST every event; the servers' answers summed (``errors`` carry the batch-wide index)."""
        total: dict[str, Any] = {"errors": []}
        groups: dict[str, list[FeedbackEvent]] = {}
        for e in events:
            groups.setdefault(e.service, []).append(e)
        offset = 0
        for service, group in groups.items():
            for i in range(0, len(group), self._max_batch):
                chunk = group[i:i + self._max_batch]
                answer = self._post(service, chunk)
                for k, v in answer.items():
                    if k == "errors":
                        total["errors"] += [{**err, "index": err["index"] + offset} for err in v]
                    elif isinstance(v, int):
                        total[k] = total.get(k, 0) + v
                offset += len(chunk)
        return total

    def write(self, events: list[FeedbackEvent]) -> SinkResult | None:
        answer = self.send(events)
        rejected = [Rejection(events[e["index"]].prediction_id, e.get("field"), e["reason"]) for e in answer["errors"]
                    if 0 <= e["index"] < len(events)]
        dup = int(answer.get("duplicates", 0))
        return SinkResult(rejected=rejected, duplicates=dup) if rejected or dup else None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _post(self, service: str, chunk: list[FeedbackEvent]) -> dict[str, Any]:
        import httpx

        if self._client is None:
            self._client = self._factory() if self._factory else httpx.Client(timeout=self._timeout)
        url = f"{self.base_url}/v1/services/{quote(service, safe='')}/feedback"
        try:
            resp = self._client.post(url, json={"feedback": [e.to_dict() for e in chunk]}, headers=self._headers)
        except httpx.HTTPError as e:
            raise StoreError(f"POST {url} failed: {type(e).__name__}: {e}") from e
        if resp.status_code != 200:
            raise StoreError(f"POST {url} answered {resp.status_code}: {resp.text[:300]}")
        answer: dict[str, Any] = resp.json()
        return answer
