"""A real telltale server in a subprocess, on a free loopback port.

``start_server(db_url)`` is meant for reuse (the e2e tests, the recorder's kill-the-
server test): it runs ``python -m telltale.server`` in its own process so a test can
SIGKILL it mid-stream and start it again on the same database and port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from telltale.store import Store


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerHandle:
    url: str
    port: int
    db_url: str
    project: str
    token: str
    proc: subprocess.Popen
    log_path: Path
    _log: object = field(repr=False, default=None)

    def client(self, token: str | None = None, **kwargs: object) -> httpx.Client:
        """An httpx client for this server, authenticated with ``token`` (default: the handle's)."""
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30.0) -> ServerHandle:
        """Wait until ``/healthz`` answers; RuntimeError with the log if the process exits
        first or is not ready within ``timeout`` seconds (then it is killed)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                self._close_log()
                raise RuntimeError(f"server exited with {self.proc.returncode} before it was ready:\n{self._take_log()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"server not ready after {timeout}s:\n{self._take_log()}")
            time.sleep(0.05)

    def _take_log(self) -> str:
        text = self.log()
        self.log_path.unlink(missing_ok=True)
        return text

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful shutdown (SIGTERM), then SIGKILL if it does not exit in time; removes the log."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()
        self.log_path.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL: the process dies at once, mid-request if it was in one (the log is kept)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def start_server(db_url: str, port: int | None = None, *, ready_timeout: float = 30.0, **kwargs: Any) -> ServerHandle:
    """Start a server on ``db_url`` and wait until ``/healthz`` answers (``launch`` and
    ``ServerHandle.wait_ready``; the keywords are ``launch``'s)."""
    return launch(db_url, port, **kwargs).wait_ready(ready_timeout)


def launch(
    db_url: str,
    port: int | None = None,
    *,
    project: str = "default",
    token: str | None = None,
    specs: Sequence[str | Path] = (),
    max_body_bytes: int | None = None,
    monitor_every: float | None = None,
    extra_args: Sequence[str] = (),
    cli: bool = False,
) -> ServerHandle:
    """Start a server on ``db_url`` without waiting for it (start several, then wait).

    A token for ``project`` is created in the store first (or ``token`` reused, e.g. on a
    restart, or shared by replicas) and exposed as ``handle.token``. ``cli`` runs
    ``telltale serve`` (what a user types) instead of ``python -m telltale.server``.
    """
    if token is None:
        store = Store.open(db_url)
        try:
            token = store.create_token(project)
        finally:
            store.close()
    port = port or free_port()
    program = [str(Path(sys.executable).with_name("telltale")), "serve"] if cli else [sys.executable, "-m", "telltale.server"]
    cmd = [*program, "--db", db_url, "--host", "127.0.0.1", "--port", str(port), "--project", project]
    for s in specs:
        cmd += ["--spec", str(s)]
    if max_body_bytes is not None:
        cmd += ["--max-body-bytes", str(max_body_bytes)]
    if monitor_every is not None:
        cmd += ["--monitor-every", str(monitor_every)]
    cmd += list(extra_args)  # e.g. --max-in-flight 2, --metrics-token, --lease-ttl 3
    fd, log_name = tempfile.mkstemp(prefix="telltale-server-", suffix=".log")
    log = os.fdopen(fd, "w")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    return ServerHandle(f"http://127.0.0.1:{port}", port, db_url, project, token, proc, Path(log_name), log)


@pytest.fixture
def server_factory() -> Iterator[object]:
    """``server_factory(db_url, **kw)`` starts servers that are all stopped after the test."""
    started: list[ServerHandle] = []

    def factory(db_url: str, port: int | None = None, **kwargs: object) -> ServerHandle:
        h = start_server(db_url, port, **kwargs)
        started.append(h)
        return h

    yield factory
    for h in started:
        h.stop()


@pytest.fixture
def server(db_url: str, eta_spec_path: Path, server_factory: object) -> ServerHandle:
    """A server on ``db_url`` (SQLite and PostgreSQL) with the example ETA spec registered."""
    return server_factory(db_url, specs=[eta_spec_path])


@pytest.fixture
def eta_spec_path() -> Path:
    from tests.conftest import EXAMPLE_SPEC

    return EXAMPLE_SPEC


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory, eta_spec_path_module: Path) -> Iterator[ServerHandle]:
    """One SQLite-backed server for a whole test module (starting one costs seconds)."""
    db = tmp_path_factory.mktemp("server") / "telltale.db"
    h = start_server(f"sqlite:///{db}", specs=[eta_spec_path_module], monitor_every=1.0)
    yield h
    h.stop()


@pytest.fixture(scope="module")
def eta_spec_path_module() -> Path:
    from tests.conftest import EXAMPLE_SPEC

    return EXAMPLE_SPEC


class ThreadServer:
    """A uvicorn server running an app object in a thread of this process (for apps built
    in the test, e.g. over a store that is down)."""

    def __init__(self, app: object, port: int | None = None, **config: object) -> None:
        import threading

        import uvicorn

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False, **config))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("in-thread uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
