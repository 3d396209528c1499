"""Sinks: the store (a SQLite file or PostgreSQL) and a telltale server over HTTP.

Both tell a destination that is down (raise ``StoreError``: the recorder spills and
retries later) from a record the destination refuses for good (returned as a
``Rejection`` with the destination's reason: counted as dropped, never retried forever).
SQLAlchemy and httpx are imported when a sink first writes, so ``import telltale.record``
stays light.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from telltale.clock import SYSTEM_CLOCK, Clock
from telltale.errors import StoreError
from telltale.record.base import Rejection, RetryLater, SinkResult
from telltale.record.spill import json_default
from telltale.types import PredictionRecord

if TYPE_CHECKING:
    import httpx

    from telltale.store import Store

log = logging.getLogger("telltale.record")

#: HTTP answers about the whole batch after which it may succeed later (server busy,
#: shedding, restarting behind a proxy; token or service not set up yet): the records
#: wait in the spill and the batch is retried with backoff, never sooner than Retry-After.
#: Any other answer (a 500, a 400 or 422 for the batch) is not retried as it is: the
#: batch is halved until the records the server refuses are found, and only those are
#: set aside (rejected, dead-lettered), so one unstorable record never holds up the rest.
_RETRYABLE = frozenset({401, 403, 404, 408, 409, 425, 429, 502, 503, 504})


class StoreSink:
    """Writes batches with ``Store.write_predictions``; opens the store on first use.

    ``store`` is an open ``telltale.store.Store`` or a URL (``sqlite:///...``,
    ``postgresql+psycopg://...``); given a URL, a database that is down at start is just
    a sink that is down, not an error at construction.
    """

    def __init__(self, store: Store | str, project: str = "default", *, clock: Clock = SYSTEM_CLOCK) -> None:
        if not isinstance(project, str) or not project:
            raise ValueError(f"StoreSink project must be a non-empty string, got {project!r}")
        self.project = project
        self._clock = clock
        self._url = store if isinstance(store, str) else None
        self._store = None if isinstance(store, str) else store

    def write(self, records: list[PredictionRecord]) -> SinkResult | None:
        if not records:
            return None
        store = self._open()
        result = self._write(store, records)
        return result if (result.rejected or result.duplicates) else None

    def close(self) -> None:
        if self._url is not None and self._store is not None:
            self._store.close()
            self._store = None

    def after_fork(self) -> None:
        """In a forked child: drop the parent's pooled connections without closing them."""
        engine = getattr(self._store, "_engine", None)
        if engine is not None:
            engine.dispose(close=False)  # SQLAlchemy's recipe for engines that cross a fork

    def _open(self) -> Store:
        if self._store is None:
            from telltale.store import Store

            try:
                self._store = Store.open(self._url or "", clock=self._clock)
            except StoreError:
                raise
            except Exception as e:  # a driver error the store did not wrap
                raise StoreError(f"cannot open the store at {_safe(self._url)}: {e}") from e
        return self._store

    def _write(self, store: Store, records: list[PredictionRecord]) -> SinkResult:
        """Write; if the database refuses the batch itself, halve it to find the bad records."""
        try:
            res = store.write_predictions(self.project, records)
            return SinkResult(duplicates=res.duplicates)
        except StoreError:
            raise
        except Exception as e:
            if _transient(e):
                raise StoreError(f"writing {len(records)} records failed: {_first_line(e)}") from e
            if len(records) == 1:
                return SinkResult(rejected=[Rejection(records[0].id, None, f"{type(e).__name__}: {_first_line(e)}")])
        mid = len(records) // 2
        a, b = self._write(store, records[:mid]), self._write(store, records[mid:])
        return SinkResult(rejected=a.rejected + b.rejected, duplicates=a.duplicates + b.duplicates)


class HttpSink:
    """POSTs batches to a telltale server: ``/v1/services/{service}/predictions``.

    Records are grouped by ``record.service`` (``service`` names the default for records
    that carry none) and sent in chunks of at most ``max_batch``. Connection errors,
    timeouts and the answers in ``_RETRYABLE`` (429, 503...) raise ``RetryLater`` with the
    server's Retry-After; per-record errors in a 200 answer are returned as rejections
    with the server's reason. Any other answer halves the chunk until the refused
    records are found (a 413 too), so a poison record is refused alone. NaN and
    infinities, which JSON cannot carry, are sent as null.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        service: str | None = None,
        *,
        timeout_s: float = 8.0,
        max_batch: int = 1000,
        client_factory: Callable[[], httpx.Client] | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"HttpSink base_url must start with http:// or https://, got {base_url!r}")
        if not token:
            raise ValueError("HttpSink needs a bearer token: create one with `telltale token create --project P`")
        if max_batch < 1:
            raise ValueError(f"HttpSink max_batch must be >= 1, got {max_batch}")
        self.base_url = base_url.rstrip("/")
        self.service = service
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self._timeout = timeout_s
        self._max_batch = max_batch
        self._factory = client_factory
        self._client: httpx.Client | None = None

    def write(self, records: list[PredictionRecord]) -> SinkResult | None:
        groups: dict[str, list[PredictionRecord]] = {}
        for r in records:
            groups.setdefault(r.service or self.service or "", []).append(r)
        out = SinkResult()
        for service, group in groups.items():
            if not service:
                out.rejected += [Rejection(r.id, "service", "the record names no service and the sink has none") for r in group]
                continue
            for i in range(0, len(group), self._max_batch):
                res = self._post(service, group[i:i + self._max_batch])
                out.rejected += res.rejected
                out.duplicates += res.duplicates
                out.warnings += res.warnings
        return out if (out.rejected or out.duplicates or out.warnings) else None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def after_fork(self) -> None:
        """In a forked child: leave the parent's connections alone and open new ones."""
        self._client = None

    def _post(self, service: str, chunk: list[PredictionRecord]) -> SinkResult:
        import httpx

        if self._client is None:
            self._client = self._factory() if self._factory else httpx.Client(timeout=self._timeout)
        url = f"{self.base_url}/v1/services/{quote(service, safe='')}/predictions"
        body = b'{"records":[' + b",".join(_encode(r) for r in chunk) + b"]}"
        try:
            resp = self._client.post(url, content=body, headers=self._headers)
        except httpx.HTTPError as e:  # connect errors, timeouts, broken connections
            raise RetryLater(f"POST {url} failed: {type(e).__name__}: {e}") from e
        code = resp.status_code
        if code == 200:
            return _answer(resp, chunk)
        detail = _detail(resp)
        if code in _RETRYABLE:
            raise RetryLater(f"POST {url} answered {code}: {detail}", _retry_after(resp))
        if len(chunk) > 1:  # find the record(s) the server cannot take; keep the rest moving
            mid = len(chunk) // 2
            a, b = self._post(service, chunk[:mid]), self._post(service, chunk[mid:])
            return SinkResult(rejected=a.rejected + b.rejected, duplicates=a.duplicates + b.duplicates,
                              warnings=a.warnings + b.warnings)
        return SinkResult(rejected=[Rejection(chunk[0].id, None, f"HTTP {code}: {detail}")])


def _retry_after(resp: Any) -> float | None:
    """Seconds from a Retry-After header (a number; an HTTP date is read as 'soon')."""
    value = resp.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, min(float(value), 3600.0))
    except ValueError:
        return 1.0


def _answer(resp: Any, chunk: list[PredictionRecord]) -> SinkResult:
    try:
        doc = resp.json()
    except ValueError:
        return SinkResult()  # 200 means committed; an unreadable body changes nothing
    rejected = []
    for err in doc.get("errors") or []:
        i = err.get("index")
        rid = chunk[i].id if isinstance(i, int) and 0 <= i < len(chunk) else f"(index {i})"
        rejected.append(Rejection(rid, err.get("field"), str(err.get("reason"))))
    warnings = doc.get("warnings") or []
    if warnings:
        w = warnings[0]
        log.warning("telltale: the server did not keep %d keys of the batch; first: record %s, key %r: %s",
                    len(warnings), w.get("index"), w.get("key"), w.get("reason"))
    return SinkResult(rejected=rejected, duplicates=int(doc.get("duplicates") or 0), warnings=len(warnings))


def _encode(r: PredictionRecord) -> bytes:
    d = r.to_dict()
    try:
        return json.dumps(d, separators=(",", ":"), default=json_default, allow_nan=False).encode()
    except ValueError:  # NaN or infinity somewhere: JSON has no such numbers
        return json.dumps(_finite(d), separators=(",", ":"), default=json_default, allow_nan=False).encode()


def _finite(x: Any) -> Any:
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    tolist = getattr(x, "tolist", None)
    return _finite(tolist()) if callable(tolist) else x


def _detail(resp: Any) -> str:
    try:
        d = resp.json().get("detail")
        if d is not None:
            return d if isinstance(d, str) else json.dumps(d)[:500]
    except (ValueError, AttributeError):
        pass
    text: str = resp.text
    return text[:500]


def _transient(e: BaseException) -> bool:
    """A database that is down or went away, as opposed to one refusing these rows."""
    import sqlalchemy as sa

    if isinstance(e, (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError, sa.exc.DisconnectionError)):
        return True
    return isinstance(e, sa.exc.DBAPIError) and bool(e.connection_invalidated)


def _first_line(e: BaseException) -> str:
    text = str(getattr(e, "orig", None) or e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _safe(url: str | None) -> str:
    """The URL without its password, for messages."""
    if not url or "@" not in url or "://" not in url:
        return url or "(no url)"
    scheme, rest = url.split("://", 1)
    cred, host = rest.rsplit("@", 1)
    return f"{scheme}://{cred.split(':', 1)[0]}:***@{host}"
