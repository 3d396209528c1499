"""The control mode of a service, and where guards read it from.

A mode per service, set by a person or a rule: ``normal`` (the model serves),
``fallback`` (the fallback chain serves), ``rollback`` (the previous model version
serves), ``review`` (records are queued for a person) or ``canary_stopped`` (the
primary takes the canary's share too). Every change lands in an append-only audit log
(``AuditEntry``: who, a rule or a person, and why). Every guard of the service
polls a ``ControlSource`` in a background thread and applies a change within
``spec.guard.control_poll_s`` (at most 5 s), without a restart; the hot path only reads
an attribute. A source that cannot be reached keeps the last known mode.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

#: The modes a service can be put in.
MODES: frozenset[str] = frozenset({"normal", "fallback", "rollback", "review", "canary_stopped"})

#: How far each mode takes traffic from the candidate model: a rule only moves a service
#: to a stronger mode, never to a weaker one another rule or a person chose.
STRENGTH: dict[str, int] = {"normal": 0, "canary_stopped": 1, "rollback": 2, "review": 3, "fallback": 4}

#: The longest a guard waits between two reads of its control source.
MAX_POLL_S = 5.0


@dataclass(slots=True, frozen=True)
class ControlState:
    """A service's mode, why it was set, and when (epoch seconds)."""

    mode: str = "normal"
    reason: str = ""
    updated_at: float = 0.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"control mode must be one of {', '.join(sorted(MODES))}, got {self.mode!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "reason": self.reason, "updated_at": self.updated_at}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ControlState:
        return cls(mode=str(d.get("mode", "normal")), reason=str(d.get("reason") or ""),
                   updated_at=float(d.get("updated_at") or 0.0))


@dataclass(slots=True, frozen=True)
class AuditEntry:
    """One change of a service's mode: from, to, when, by whom (``rule:<name>`` or
    ``person:<who>``) and why. The log is append-only."""

    service: str
    at: float
    mode_from: str
    mode_to: str
    actor: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "at": self.at, "from": self.mode_from, "to": self.mode_to,
                "actor": self.actor, "reason": self.reason}


@runtime_checkable
class ControlSource(Protocol):
    """Where a guard reads its service's mode. ``get`` may raise when unreachable."""

    def get(self, service: str) -> ControlState: ...


class MemoryControlSource:
    """Modes kept in memory: for tests, and for one process that sets its own modes."""

    def __init__(self) -> None:
        self._states: dict[str, ControlState] = {}
        self._lock = threading.Lock()
        self.reads = 0

    def set(self, service: str, state: ControlState) -> None:
        with self._lock:
            self._states[service] = state

    def get(self, service: str) -> ControlState:
        with self._lock:
            self.reads += 1
            return self._states.get(service, ControlState())


class StoreControlSource:
    """Reads the mode from a ``telltale.store.Store`` (SQLite file or PostgreSQL), or from
    the store at a database URL, opened on the first read (so a store that is down when
    the guard starts is an error of that read, retried at the next poll)."""

    def __init__(self, store: Any, project: str = "default") -> None:
        self._store = store if not isinstance(store, str) else None
        self._url = store if isinstance(store, str) else None
        self._project = project

    def get(self, service: str) -> ControlState:
        if self._store is None:
            from telltale.store import Store  # lazy: the store pulls in SQLAlchemy

            self._store = Store.open(self._url)  # type: ignore[arg-type]
        return self._store.get_control(self._project, service)

    def close(self) -> None:
        """Close the store if this source opened it (from a URL)."""
        if self._url is not None and self._store is not None:
            self._store.close()
            self._store = None


class HttpControlSource:
    """Reads the mode from a telltale server: ``GET /v1/services/{service}/control``."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout_s: float = 2.0) -> None:
        import httpx  # lazy: only guards reading a server need it

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s)

    def get(self, service: str) -> ControlState:
        r = self._client.get(f"/v1/services/{service}/control")
        if r.status_code != 200:
            raise ConnectionError(f"GET /v1/services/{service}/control answered {r.status_code}: {r.text[:200]}")
        return ControlState.from_dict(r.json())

    def close(self) -> None:
        self._client.close()


def control_source_for(target: str, *, project: str = "default", token: str | None = None) -> ControlSource:
    """A source from a URL: ``http(s)://`` for a server, a database URL for a store."""
    if target.startswith(("http://", "https://")):
        return HttpControlSource(target, token)
    if target.startswith(("sqlite:", "postgresql")):
        return StoreControlSource(target, project)
    raise ValueError(f"control target must be an http(s):// URL or a sqlite:/// or postgresql+psycopg:// URL, got {target!r}")
